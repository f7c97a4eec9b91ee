from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incident register"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from aims.clocks.registry import ClockTarget, register_kinds, register_target
        from aims.core import visibility
        from aims.core.registry import HomePanel, NavEntry, register_home_panel, register_navigation
        from inventory.guards import register_change_guard
        from inventory.hooks import register_rule_change_listener

        from . import clocks, permissions, selectors
        from .choices import IncidentClockKind
        from .models import Incident
        from .services import detection, rollback_guard

        visibility.register(Incident, selectors.incidents_visible_to)
        register_kinds(IncidentClockKind)
        register_target(
            Incident,
            ClockTarget(
                resolve_role=clocks.resolve_role,
                describe=clocks.describe,
                card=clocks.card,
                record_delivery=clocks.record_delivery,
                pseudo_roles=("system_owner", "incident_lead"),
            ),
        )
        register_change_guard(rollback_guard)
        register_rule_change_listener(detection.link_rule_change)

        from aims.notify.paging import PageTarget, register_page_target

        from . import hooks, paging

        register_page_target(Incident, PageTarget(facts=paging.facts, record=paging.record))
        hooks.register_create_listener(paging.on_created)
        hooks.register_change_listener(paging.on_facts_changed)
        hooks.register_transition_listener(paging.on_transition)

        register_navigation(
            NavEntry(
                label=_("Register"),
                url_name="incidents:register",
                order=20,
                visible=permissions.can_use_register,
            ),
            NavEntry(
                label=_("New incident"),
                url_name="incidents:incident-create",
                order=30,
                visible=permissions.can_file_incident,
            ),
            NavEntry(
                label=_("Protected reports"),
                url_name="protected:list",
                order=70,
                visible=permissions.can_handle_protected_reports,
            ),
            NavEntry(label=_("Report a concern"), url_name="report:report", order=80),
        )
        from inventory.sections import SystemSection
        from inventory.sections import register_section as register_system_section

        from .sections import IncidentSection, register_section
        from .views import detection as detection_views

        register_section(
            IncidentSection(
                name="detection",
                template="incidents/_detection_section.html",
                order=3,
                context=detection_views.incident_section,
            )
        )
        register_system_section(
            SystemSection(
                name="detection",
                template="incidents/_system_detection_section.html",
                order=15,
                context=detection_views.system_section,
            )
        )
        register_home_panel(
            HomePanel(
                name="register",
                template="incidents/_home_register.html",
                order=20,
                context=home_register,
            ),
            HomePanel(
                name="my_incidents",
                template="incidents/_home_my_incidents.html",
                order=30,
                context=lambda user: {"my_incidents": selectors.my_open_incidents(user)},
            ),
        )


def home_register(user) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from .selectors import register_headline

    return {
        "register": register_headline(user),
        "near_miss_since": (timezone.localdate() - timedelta(days=90)).isoformat(),
    }
