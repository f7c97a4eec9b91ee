from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reports and evidence bundles"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from aims.core.permissions import has_any_role
        from aims.core.registry import NavEntry, register_navigation

        # Builders register themselves on import; a Celery worker never loads the URLconf.
        from . import builders  # noqa: F401
        from .choices import ReportKind
        from .permissions import can_request

        register_navigation(
            NavEntry(
                label=_("Reports"), url_name="reporting:reports", order=50, visible=has_any_role
            ),
            NavEntry(
                label=_("Dashboard"),
                url_name="reporting:dashboard",
                order=60,
                visible=lambda user: can_request(user, ReportKind.REVIEW_PACK),
            ),
        )
