from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reports and evidence bundles"

    def ready(self):
        # Builders register themselves on import; a Celery worker never loads the URLconf.
        from . import builders  # noqa: F401
