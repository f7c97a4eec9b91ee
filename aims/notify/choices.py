from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class AttemptStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class WebhookFormat(models.TextChoices):
    SLACK = "slack", _("Slack (Block Kit, incoming webhook)")
    TEAMS = "teams", _("Microsoft Teams (Adaptive Card, workflow webhook)")
    JSON = "json", _("Generic JSON")


class PagingVendor(models.TextChoices):
    PAGERDUTY = "pagerduty", _("PagerDuty (Events API v2)")
    OPSGENIE = "opsgenie", _("Opsgenie (Alert API)")


class PageAction(models.TextChoices):
    """What a page asks of the paging service; the order is the lifecycle's."""

    TRIGGER = "trigger", _("Trigger")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    RESOLVE = "resolve", _("Resolve")
