"""Detection and paging: alerts and the monitoring rules behind them, threshold changes an
incident prompted, PagerDuty webhook events recorded."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    AlertSource,
    AlertState,
)
from .register import Incident

USER = settings.AUTH_USER_MODEL


class AlertLink(TimeStampedModel):
    """An alert (by source and fingerprint) attached to the incident it opened or joined."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=20, choices=AlertSource.choices)
    fingerprint = models.CharField(max_length=200)
    alert_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=AlertState.choices, default=AlertState.FIRING)
    labels = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    occurrences = models.PositiveIntegerField(default=1)
    monitoring_rule = models.ForeignKey(
        "inventory.MonitoringRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_links",
        verbose_name=_("monitoring rule"),
        help_text=_(
            "The system's rule that produced the alert: its metric is the alert's `metric` "
            "label or, failing that, the alert's name."
        ),
    )

    history = audit_history()

    class Meta:
        indexes = [
            models.Index(fields=["source", "fingerprint"], name="alertlink_fingerprint_idx"),
            models.Index(fields=["monitoring_rule", "-last_seen_at"], name="alertlink_rule_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "source", "fingerprint"], name="alert_once_per_incident"
            )
        ]

    def __str__(self):
        return f"{self.source}:{self.fingerprint} -> {self.incident_id}"


class DetectionThresholdChange(models.Model):
    """A monitoring rule's threshold (or comparison) changed because of an incident — ISO/IEC
    42001 A.6.2.6: detection updated after a failure. Written when the change's reason names
    the incident, whether the change was made from the incident page or on the rule itself, so
    both records can show the link. The values before and after are kept: the rule's own history
    moves on."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="threshold_changes"
    )
    monitoring_rule = models.ForeignKey(
        "inventory.MonitoringRule",
        on_delete=models.PROTECT,
        related_name="incident_threshold_changes",
        verbose_name=_("monitoring rule"),
    )
    metric = models.CharField(_("metric"), max_length=200)
    old_comparison = models.CharField(_("comparison before"), max_length=3, blank=True)
    old_threshold = models.DecimalField(
        _("threshold before"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    new_comparison = models.CharField(_("comparison after"), max_length=3)
    new_threshold = models.DecimalField(_("threshold after"), max_digits=18, decimal_places=6)
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("changed at"))

    history = audit_history()

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["monitoring_rule", "-changed_at"], name="thresholdchange_rule_idx")
        ]

    def __str__(self):
        return f"{self.incident_id} {self.metric} {self.old_threshold} -> {self.new_threshold}"


class PagerWebhookEvent(models.Model):
    """A PagerDuty webhook (v3) event recorded on an incident's timeline: kept by the vendor's
    event id, so a redelivered webhook adds nothing."""

    event_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=60)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    history = audit_history()

    def __str__(self):
        return f"{self.event_type} {self.event_id} -> {self.incident_id}"
