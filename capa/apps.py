from django.apps import AppConfig


class CapaConfig(AppConfig):
    """Root causes, corrective and preventive actions, audit findings, post-incident reviews.

    Everything the shared apps and the incident register need from this module (clock kinds,
    visibility, closure checks, incident-page and case-file sections, navigation) is registered
    here, so neither ``aims`` nor ``incidents`` names ``capa``.
    """

    name = "capa"
    verbose_name = "Learning loop: root causes, CAPA, findings and reviews"

    def ready(self):
        pass
