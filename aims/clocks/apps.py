from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "aims.clocks"
    label = "clocks"
    verbose_name = "Clocks and escalation"
