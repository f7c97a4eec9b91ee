from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incident register"

    def ready(self):
        from aims.core import visibility
        from inventory.guards import register_change_guard

        from . import selectors
        from .models import Incident
        from .services import rollback_guard

        visibility.register(Incident, selectors.incidents_visible_to)
        register_change_guard(rollback_guard)
