from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "AI system inventory"

    def ready(self):
        from aims.core import visibility

        from . import selectors
        from .models import AISystem, Deployment, ModelVersion, MonitoringRule

        visibility.register(AISystem, selectors.systems_visible_to)
        visibility.register(ModelVersion, selectors.model_versions_visible_to)
        visibility.register(Deployment, selectors.deployments_visible_to)
        visibility.register(MonitoringRule, selectors.monitoring_rules_visible_to)
