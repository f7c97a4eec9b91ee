from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aims.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from .registry import NavEntry, register_navigation

        register_navigation(NavEntry(label=_("Home"), url_name="home", order=0))
