from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk methodology, the AI risk register, impact assessments, Annex A and the SoA.

    What the shared apps and the lower domain apps need from this module (clock kinds, visibility,
    incident-page and case-file sections, navigation) is registered here, so none of them names
    ``risk``.
    """

    name = "risk"
    verbose_name = "AI risk register, impact assessments and Annex A controls"

    def ready(self):
        from django.utils import timezone
        from django.utils.translation import gettext_lazy as _

        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility
        from aims.core.registry import NavEntry, register_navigation
        from incidents.models import Incident

        from . import clocks, evidence, permissions, selectors
        from .choices import RiskClockKind
        from .models import ApplicabilityStatement, Control, Risk, RiskMethodology

        register_kinds(RiskClockKind)
        register_target(
            Risk,
            ClockTarget(
                resolve_role=clocks.resolve_role,
                describe=clocks.describe,
                card=clocks.card,
                pseudo_roles=("risk_owner",),
            ),
        )
        visibility.register(Risk, selectors.risks_visible_to)
        visibility.register(
            RiskMethodology,
            lambda user: (
                RiskMethodology.objects.all()
                if permissions.can_read_methodology(user)
                else RiskMethodology.objects.none()
            ),
        )
        visibility.register(
            ApplicabilityStatement,
            lambda user: (
                ApplicabilityStatement.objects.all()
                if permissions.can_read_soa(user)
                else ApplicabilityStatement.objects.none()
            ),
        )
        visibility.register(
            Control,
            lambda user: (
                Control.objects.all() if permissions.can_read_soa(user) else Control.objects.none()
            ),
        )
        evidence.register_kind(
            evidence.EvidenceKind(
                key="incident",
                model=Incident,
                label=lambda i: f"{i.reference} {i.title}",
                record_date=lambda i: timezone.localdate(i.detected_at),
                url=lambda i: i.get_absolute_url(),
            )
        )
        evidence.register_kind(
            evidence.EvidenceKind(
                key="risk",
                model=Risk,
                label=lambda r: f"{r.reference} {r.title}",
                record_date=lambda r: timezone.localdate(
                    r.last_reviewed_at or r.assessed_at or r.created_at
                ),
                url=lambda r: r.get_absolute_url(),
            )
        )
        from aims.core.registry import ReportSection, register_report_section
        from incidents.sections import IncidentSection, register_section

        from .models import RiskIncidentLink

        register_report_section(
            ReportSection(
                name="risk",
                title=_("Risk register"),
                order=30,
                template="risk/_case_file.html",
                context=selectors.case_file_section,
                history=((RiskIncidentLink, "incident_id", _("risk link")),),
            )
        )

        from . import views

        register_section(
            IncidentSection(
                name="risk",
                template="risk/_incident_section.html",
                order=30,
                context=views.incident_section,
            )
        )
        register_navigation(
            NavEntry(
                label=_("Risks"),
                url_name="risk:register",
                order=45,
                visible=permissions.can_read_register,
            ),
            NavEntry(
                label=_("Annex A and SoA"),
                url_name="risk:soa",
                order=47,
                visible=permissions.can_read_soa,
            ),
        )
        from inventory.sections import SystemSection
        from inventory.sections import register_section as register_system_section

        from . import trail

        register_system_section(
            SystemSection(
                name="risk-trail",
                template="risk/trail_section.html",
                order=40,
                column="aside",
                context=lambda request, system: (
                    {}
                    if permissions.can_read_trail(request.user)
                    and trail.trail_system_readable(request.user, system)
                    else None
                ),
            )
        )
        from aims.core.registry import HomePanel, register_home_panel

        from . import home

        register_home_panel(
            HomePanel(
                name="risk",
                template="risk/_home_risks.html",
                order=45,
                context=home.panel_context,
                visible=home.panel_visible,
            )
        )
        self._ready_impact()
        self._ready_documents()

    def _ready_impact(self):
        """Impact assessments: clocks, visibility, evidence, the triggers in the inventory and
        the incidents, the system-page section; the risk-register review at closure."""
        from django.utils import timezone
        from django.utils.translation import gettext_lazy as _

        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility
        from aims.core.registry import NavEntry, register_navigation
        from incidents.hooks import register_change_listener, register_create_listener
        from incidents.workflow import register_closure_check
        from inventory.hooks import register_deployment_listener
        from inventory.sections import SystemSection
        from inventory.sections import register_section as register_system_section

        from . import clocks, evidence, impact_selectors, permissions
        from .choices import ImpactClockKind
        from .models import ImpactAssessment, ImpactReviewFlag
        from .services import impact as impact_services
        from .views import impact as impact_views

        register_kinds(ImpactClockKind)
        register_target(
            ImpactAssessment,
            ClockTarget(
                resolve_role=clocks.impact_resolve_role,
                describe=clocks.impact_describe,
                pseudo_roles=("system_owner",),
            ),
        )
        register_target(
            ImpactReviewFlag,
            ClockTarget(
                resolve_role=clocks.impact_resolve_role,
                describe=clocks.flag_describe,
                pseudo_roles=("system_owner",),
            ),
        )
        visibility.register(ImpactAssessment, impact_selectors.assessments_visible_to)
        evidence.register_kind(
            evidence.EvidenceKind(
                key="impact_assessment",
                model=ImpactAssessment,
                label=lambda a: f"{a.reference} {a.system.reference} v{a.version}",
                record_date=lambda a: timezone.localdate(a.approved_at or a.created_at),
                url=lambda a: a.get_absolute_url(),
            )
        )
        register_deployment_listener(impact_services.on_deployment_recorded)
        register_create_listener(impact_services.on_incident_created)
        register_change_listener(impact_services.on_incident_facts_changed)
        register_closure_check(impact_selectors.closure_check)
        register_system_section(
            SystemSection(
                name="impact_assessment",
                template="risk/_impact_system_section.html",
                order=40,
                context=impact_views.system_section,
            )
        )
        register_navigation(
            NavEntry(
                label=_("Impact assessments"),
                url_name="risk:impact-list",
                order=46,
                visible=permissions.can_read_impact,
            ),
        )

    def _ready_documents(self):
        """Documented information and retention: the review clock, who sees the documents, the
        incident page's legal-hold section and the case file's retention section."""
        from django.utils.translation import gettext_lazy as _

        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility
        from aims.core.registry import (
            NavEntry,
            ReportSection,
            register_navigation,
            register_report_section,
        )
        from incidents.sections import IncidentSection, register_section

        from . import permissions, selectors
        from .choices import DocumentClockKind
        from .models import Document, DocumentVersion, LegalHold, PurgeTombstone
        from .views import documents as document_views

        register_kinds(DocumentClockKind)
        register_target(
            Document,
            ClockTarget(
                resolve_role=lambda d, role: [d.owner] if role == "document_owner" else [],
                describe=lambda d: (f"Review of {d.reference} {d.title}", d.get_absolute_url()),
                pseudo_roles=("document_owner",),
            ),
        )
        from .models import RetentionRule

        for model, rule in (
            (Document, permissions.can_read_documents),
            (DocumentVersion, permissions.can_read_documents),
            (RetentionRule, permissions.can_read_retention),
            (LegalHold, permissions.can_read_retention),
            (PurgeTombstone, permissions.can_read_retention),
        ):
            visibility.register(
                model,
                lambda user, model=model, rule=rule: (
                    model.objects.all() if rule(user) else model.objects.none()
                ),
            )
        register_report_section(
            ReportSection(
                name="retention",
                title=_("Retention and legal holds"),
                order=90,
                template="risk/_case_file_retention.html",
                context=selectors.case_file_retention,
                history=(
                    (LegalHold, "incident_id", _("legal hold")),
                    (PurgeTombstone, "incident_id", _("purge tombstone")),
                ),
            )
        )
        register_section(
            IncidentSection(
                name="legal_hold",
                template="risk/_incident_hold.html",
                order=90,
                column="aside",
                context=document_views.incident_hold_section,
            )
        )
        register_navigation(
            NavEntry(
                label=_("Documents"),
                url_name="risk:documents",
                order=48,
                visible=permissions.can_read_documents,
            )
        )
