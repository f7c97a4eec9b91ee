from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = "Disclosure assessment and regulatory obligations"

    def ready(self):
        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility

        from . import clocks, selectors
        from .choices import DisclosureClockKind
        from .models import Obligation

        register_kinds(DisclosureClockKind)
        register_target(
            Obligation,
            ClockTarget(
                resolve_role=clocks.resolve_role,
                describe=clocks.describe,
                card=clocks.card,
                record_delivery=clocks.record_delivery,
                pseudo_roles=("incident_lead",),
            ),
        )
        visibility.register(Obligation, selectors.obligations_visible_to)
        from django.utils.translation import gettext_lazy as _

        from aims.core.registry import (
            NavEntry,
            ReportSection,
            register_navigation,
            register_report_section,
        )
        from incidents.sections import IncidentSection, register_section
        from incidents.workflow import register_closure_check

        from . import permissions, views

        register_closure_check(selectors.closure_check)
        from incidents.hooks import register_change_listener

        from .services import on_incident_facts_changed

        register_change_listener(on_incident_facts_changed)
        from .models import (
            Communication,
            DisclosureAssessment,
            IncidentFacts,
            Submission,
            VendorNotice,
        )

        register_report_section(
            ReportSection(
                name="disclosure",
                title=_("Disclosure assessment, obligations and communications"),
                order=10,
                template="disclosure/_case_file.html",
                context=selectors.case_file_section,
                history=(
                    (DisclosureAssessment, "incident_id", _("disclosure assessment")),
                    (IncidentFacts, "incident_id", _("disclosure facts")),
                    (Obligation, "assessment__incident_id", _("obligation")),
                    (Submission, "obligation__assessment__incident_id", _("submission")),
                    (Communication, "incident_id", _("communication")),
                    (VendorNotice, "incident_id", _("supplier notice")),
                ),
            )
        )
        register_section(
            IncidentSection(
                name="disclosure",
                template="disclosure/_incident_section.html",
                order=10,
                context=views.incident_section,
            )
        )
        from aims.audit.registry import RelatedHistory, register_related_history
        from inventory.models import AISystem
        from inventory.sections import SystemSection
        from inventory.sections import register_section as register_system_section

        from . import system_views
        from .models import SystemFacts

        visibility.register(SystemFacts, selectors.system_facts_visible_to)
        register_related_history(
            RelatedHistory(
                model=AISystem, related=SystemFacts, lookup="system_id", label=_("disclosure facts")
            )
        )
        register_system_section(
            SystemSection(
                name="disclosure",
                template="disclosure/_system_section.html",
                order=10,
                context=system_views.system_section,
            )
        )
        register_navigation(
            NavEntry(
                label=_("Obligations"),
                url_name="disclosure:obligations",
                order=35,
                visible=permissions.can_read_regimes,
            )
        )
