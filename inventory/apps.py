from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "AI system inventory"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from aims.core import visibility
        from aims.core.registry import HomePanel, NavEntry, register_home_panel, register_navigation

        from . import selectors
        from .models import AISystem, Deployment, ModelVersion, MonitoringRule

        visibility.register(AISystem, selectors.systems_visible_to)
        visibility.register(ModelVersion, selectors.model_versions_visible_to)
        visibility.register(Deployment, selectors.deployments_visible_to)
        visibility.register(MonitoringRule, selectors.monitoring_rules_visible_to)

        register_navigation(
            NavEntry(label=_("Systems"), url_name="inventory:system-list", order=40)
        )
        register_home_panel(
            HomePanel(
                name="inventory",
                template="inventory/_home_inventory.html",
                order=40,
                context=lambda user: {
                    "headline": selectors.inventory_headline(),
                    "my_systems": selectors.systems_owned_by(user)[:20],
                },
            )
        )
