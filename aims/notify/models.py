"""Deliveries of reminders and escalations over three channels: inbox, e-mail, webhook; and
pages to an on-call tool (PagerDuty, Opsgenie).

``Delivery`` is unique per (clock, step, recipient): the database, not luck, guarantees nobody
is told twice. Each channel gets one ``DeliveryAttempt`` row that a worker claims with a row
lock; failures are retried with back-off, and every attempt's result is kept.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history

from .choices import AttemptStatus, Channel, PageAction, PagingVendor, WebhookFormat

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


PAGERDUTY_API_URL = "https://events.pagerduty.com"
OPSGENIE_API_URL = "https://api.opsgenie.com"


class PagingService(models.Model):
    """An on-call tool the register pages: a PagerDuty service (its Events API v2 integration,
    the routing key) or an Opsgenie integration (its API key).

    It is paged in two ways: when an escalation step reaches a person it is attached to (the
    person, or everyone in the role), and — with ``page_incidents`` — by the lifecycle of every
    record that pages by itself (a P0/P1 incident: trigger, acknowledge at triage, resolve at
    containment). The key is read from the environment variable ``key_env`` when one is named,
    else from ``key``; neither is ever shown back in full, written to the history or put on a
    timeline.
    """

    name = models.CharField(max_length=100)
    vendor = models.CharField(max_length=10, choices=PagingVendor.choices)
    api_url = models.URLField(
        max_length=300,
        blank=True,
        help_text=_(
            "Leave blank for the vendor's own: https://events.pagerduty.com, "
            "https://api.opsgenie.com (EU accounts: https://api.eu.opsgenie.com)."
        ),
    )
    key_env = models.CharField(
        max_length=100,
        blank=True,
        help_text=_(
            "Name of the environment variable holding the routing key (PagerDuty) or API key "
            "(Opsgenie), e.g. PAGERDUTY_ROUTING_KEY. Preferred to storing the key here."
        ),
    )
    key = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The key itself, when no environment variable is named. Never shown back."),
    )
    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, null=True, blank=True, related_name="paging_services"
    )
    role = models.CharField(
        max_length=30,
        blank=True,
        help_text=_("Escalations to anyone in this role page this service, e.g. ciso."),
    )
    page_incidents = models.BooleanField(
        default=True,
        help_text=_(
            "Page on the lifecycle of P0/P1 incidents (trigger, acknowledge at triage, resolve "
            "when contained, resolved or rejected), whoever the escalations reach."
        ),
    )
    page_exercises = models.BooleanField(
        default=False,
        help_text=_(
            "Also page for exercises (marked [EXERCISE]). Off by default: an exercise must "
            "never wake a real on-call unless that is the drill."
        ),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The key never enters the history tables (they are shown in the admin and exported).
    history = audit_history(excluded_fields=["key"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(key_env="") | ~Q(key=""),
                name="paging_service_has_key",
                violation_error_message=_(
                    "Name the environment variable that holds the key, or enter the key."
                ),
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.get_vendor_display()})"

    @property
    def vendor_name(self) -> str:
        return "PagerDuty" if self.vendor == PagingVendor.PAGERDUTY else "Opsgenie"

    @property
    def base_url(self) -> str:
        default = PAGERDUTY_API_URL if self.vendor == PagingVendor.PAGERDUTY else OPSGENIE_API_URL
        return (self.api_url or default).rstrip("/")


class PageEvent(models.Model):
    """One page to one paging service: trigger, acknowledge or resolve the alert whose key is
    ``dedup_key`` (the record's reference).

    Sent after commit by a worker that claims the row (``SKIP LOCKED``), with a bounded
    time-out and back-off retries; events of one (service, key) go out in the order they were
    made, so an acknowledge or resolve never overtakes its trigger. ``payload`` is the body
    without the key; ``response`` keeps what the vendor answered (PagerDuty's ``dedup_key``,
    Opsgenie's ``requestId``).
    """

    # A service that was paged stays, as the record of where pages went: deactivate it instead.
    service = models.ForeignKey(PagingService, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=12, choices=PageAction.choices)
    dedup_key = models.CharField(max_length=255)
    target_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, null=True, blank=True
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    cause = models.CharField(
        max_length=120, blank=True, help_text=_("What made the page: created, escalation …")
    )
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    history = audit_history()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                name="page_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["service", "dedup_key"], name="page_key_idx"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.dedup_key} ({self.get_status_display()})"
