"""Deliveries of reminders and escalations over three channels: inbox, e-mail, webhook.

``Delivery`` is unique per (clock, step, recipient): the database, not luck, guarantees nobody
is told twice. Each channel gets one ``DeliveryAttempt`` row that a worker claims with a row
lock; failures are retried with back-off, and every attempt's result is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history

from .choices import AttemptStatus, Channel, WebhookFormat

USER = settings.AUTH_USER_MODEL


class WebhookEndpoint(models.Model):
    """An outgoing webhook (chat or paging tool) for one person or everyone in a role."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    format = models.CharField(
        max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.SLACK
    )
    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, null=True, blank=True, related_name="webhooks"
    )
    role = models.CharField(max_length=30, blank=True, help_text=_("Role name, e.g. risk_officer"))
    secret = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("When set, bodies are signed: X-AIMS-Signature: sha256=<hmac>."),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(role=""),
                name="webhook_has_destination",
                violation_error_message=_("Choose a user or a role."),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_format_display()})"


class Delivery(models.Model):
    clock = models.ForeignKey("clocks.Clock", on_delete=models.CASCADE, related_name="deliveries")
    step_key = models.CharField(max_length=40)
    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "step_key", "recipient"],
                name="delivery_once_per_clock_step_recipient",
            )
        ]

    def __str__(self):
        return f"{self.step_key} -> {self.recipient}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    history = audit_history()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                name="attempt_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "channel", "endpoint"],
                nulls_distinct=False,
                name="attempt_once_per_channel",
            )
        ]

    def __str__(self):
        return f"{self.delivery_id} {self.channel} {self.status}"


class Notification(models.Model):
    """An item in a person's in-app inbox."""

    recipient = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="notifications")
    delivery = models.OneToOneField(
        Delivery, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbox_item"
    )
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            )
        ]

    def __str__(self):
        return self.title
