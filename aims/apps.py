from django.apps import AppConfig


class AimsConfig(AppConfig):
    """The project package's own wiring: commands that may know every app (the demo loader).

    Not a shared app: ``aims.accounts``, ``audit``, ``clocks``, ``notify`` and ``core`` know no
    domain app; this package, like ``aims/urls.py`` and ``aims/settings/``, may.
    """

    name = "aims"
    label = "aims"
    verbose_name = "AIMS Register"
