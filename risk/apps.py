from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk methodology, the AI risk register, impact assessments, Annex A and the SoA.

    What the shared apps and the lower domain apps need from this module (clock kinds, visibility,
    incident-page and case-file sections, navigation) is registered here, so none of them names
    ``risk``.
    """

    name = "risk"
    verbose_name = "AI risk register, impact assessments and Annex A controls"

    def ready(self):
        pass
