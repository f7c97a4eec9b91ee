from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "aims.notify"
    label = "notify"
    verbose_name = "Notifications"
