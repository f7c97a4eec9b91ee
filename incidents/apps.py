from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incident register"

    def ready(self):
        from aims.clocks.registry import ClockTarget, register_target
        from aims.core import visibility
        from inventory.guards import register_change_guard

        from . import clocks, selectors
        from .models import Incident
        from .services import rollback_guard

        visibility.register(Incident, selectors.incidents_visible_to)
        register_target(
            Incident,
            ClockTarget(
                resolve_role=clocks.resolve_role,
                describe=clocks.describe,
                record_delivery=clocks.record_delivery,
            ),
        )
        register_change_guard(rollback_guard)
