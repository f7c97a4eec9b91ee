"""AI system impact assessments (ISO/IEC 42001 clause 6.1.4, 8.4; Annex A.5.2-A.5.5), the
per-system flag that one is due for review, and the decision, at an incident's closure, that the
risk register was reviewed for it.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import ImpactResult, ImpactStatus, ImpactTrigger, RiskReviewOutcome

USER = settings.AUTH_USER_MODEL


class ImpactAssessment(TimeStampedModel):
    """One version of a system's impact assessment: why it was made, what the system is for and
    how it could be misused, who and what it affects, where, the result, and its approval by the
    AI risk officer. A newly approved version supersedes the previous approved one."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    system = models.ForeignKey(
        "inventory.AISystem",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("AI system"),
    )
    version = models.PositiveSmallIntegerField(_("version"), editable=False)
    trigger = models.CharField(_("trigger"), max_length=10, choices=ImpactTrigger.choices)
    deployment = models.ForeignKey(
        "inventory.Deployment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggering deployment"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("triggering incident"),
    )
    intended_use = models.TextField(_("intended use"), blank=True)
    foreseeable_misuse = models.TextField(_("reasonably foreseeable misuse"), blank=True)
    affected_groups = models.TextField(_("affected individuals and groups"), blank=True)
    societal_impact = models.TextField(_("societal impact"), blank=True)
    jurisdictions = ArrayField(
        models.CharField(max_length=10),
        verbose_name=_("jurisdictions"),
        default=list,
        blank=True,
        help_text=_("ISO codes, e.g. EU, DE, US-CA"),
    )
    result = models.CharField(_("result"), max_length=16, choices=ImpactResult.choices, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    next_due_date = models.DateField(_("next assessment due"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ImpactStatus.choices,
        default=ImpactStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    approval_comment = models.TextField(_("approval comment"), blank=True, editable=False)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["system", "version"], name="impact_version_once"),
            models.UniqueConstraint(
                fields=["system"],
                condition=models.Q(status="approved"),
                name="impact_one_approved_per_system",
            ),
        ]

    def __str__(self):
        return f"{self.reference} v{self.version}"

    def get_absolute_url(self):
        return reverse("risk:impact-detail", args=[self.pk])


class ImpactReviewFlag(TimeStampedModel):
    """The system's impact assessment is due for review, and why: a retrain, vendor update or
    prompt change deployed, or a P0/P1 incident on the system. Cleared when a new assessment of
    the system is approved."""

    system = models.ForeignKey("inventory.AISystem", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        ImpactAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = audit_history()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system"],
                condition=models.Q(cleared_at__isnull=True),
                name="impact_one_open_flag_per_system",
            )
        ]

    def __str__(self):
        return f"Impact review due: {self.reason}"

    def get_absolute_url(self):
        return reverse("inventory:system-detail", args=[self.system_id])


class IncidentRiskReview(TimeStampedModel):
    """The recorded decision that the risk register was reviewed for an incident before it
    closed: risks changed (linked to it), or no change, with the reason."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="risk_review"
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=RiskReviewOutcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    history = audit_history()

    class Meta:
        verbose_name = _("risk register review of an incident")

    def __str__(self):
        return f"{self.incident_id}: {self.outcome}"
