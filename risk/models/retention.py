"""Retention of the incident records (documented information, ISO/IEC 42001 clause 7.5.3):
a period per record type, legal holds that stop every purge of an incident's records, and the
tombstone each purged record leaves so the case file and the audit chain still account for it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import RetentionRecordType

USER = settings.AUTH_USER_MODEL


class RetentionRule(TimeStampedModel):
    """How long one type of record is kept after its incident is closed, and why."""

    record_type = models.CharField(
        _("record type"), max_length=30, choices=RetentionRecordType.choices, unique=True
    )
    period_days = models.PositiveIntegerField(_("retention period (days)"))
    legal_basis = models.TextField(_("legal basis"))
    purge_enabled = models.BooleanField(
        _("purged automatically"),
        default=False,
        help_text=_("Whether manage.py purge_expired deletes these records past their period."),
    )

    history = audit_history()

    class Meta:
        ordering = ["record_type"]
        verbose_name = _("retention rule")

    def __str__(self):
        return f"{self.get_record_type_display()}: {self.period_days} days"


class LegalHold(TimeStampedModel):
    """A hold on an incident: while it stands, none of the incident's records is purged."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed at"))
    released_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.TextField(_("reason for release"), blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(released_at__isnull=True),
                name="one_active_legal_hold_per_incident",
            )
        ]

    def __str__(self):
        state = "released" if self.released_at else "active"
        return f"Legal hold on incident #{self.incident_id} ({state})"

    @property
    def active(self) -> bool:
        return self.released_at is None


class PurgeTombstone(TimeStampedModel):
    """What a purge deleted: which record, when, under which rule, its SHA-256, by which run."""

    run = models.CharField(_("purge run"), max_length=40, db_index=True)
    record_model = models.CharField(_("record type"), max_length=100)
    record_pk = models.PositiveBigIntegerField(_("record id"))
    record_label = models.CharField(_("record"), max_length=400)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purge_tombstones",
    )
    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="tombstones")
    rule_text = models.CharField(_("rule applied"), max_length=400)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    purged_at = models.DateTimeField(_("purged at"))

    history = audit_history()

    class Meta:
        ordering = ["-purged_at", "-id"]
        verbose_name = _("purge tombstone")
        constraints = [
            models.UniqueConstraint(
                fields=["record_model", "record_pk"], name="one_tombstone_per_record"
            )
        ]

    def __str__(self):
        return f"Purged {self.record_label} ({self.purged_at:%Y-%m-%d})"
