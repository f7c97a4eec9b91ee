"""The AI risk register: risks, their systems and controls, acceptances, the risk's own
entries, and the incidents that changed a risk (ISO/IEC 42001 clauses 6.1.2, 8.2-8.3).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    IncidentLinkKind,
    RiskCategory,
    RiskEntryKind,
    RiskStatus,
    TagScheme,
    Treatment,
)
from .controls import Control
from .methodology import RiskMethodology

USER = settings.AUTH_USER_MODEL


class RiskTag(TimeStampedModel):
    """A term of a published taxonomy a risk can carry (NIST AI 600-1 risks, AI RMF functions)."""

    scheme = models.CharField(_("scheme"), max_length=20, choices=TagScheme.choices)
    code = models.CharField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=200)
    verified = models.BooleanField(_("checked against the primary text"), default=False)

    history = audit_history()

    class Meta:
        ordering = ["scheme", "label"]

    def __str__(self):
        return self.label


class Risk(TimeStampedModel):
    """An entry of the AI risk register (clause 6.1.2, 8.2): rated, treated, accepted, reviewed."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"))
    cause = models.TextField(_("cause"), blank=True)
    consequence = models.TextField(_("consequence"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=RiskCategory.choices)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="owned_risks")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RiskStatus.choices,
        default=RiskStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    methodology = models.ForeignKey(
        RiskMethodology,
        on_delete=models.PROTECT,
        related_name="risks",
        editable=False,
        help_text=_("The methodology version the scores were given under"),
    )
    inherent_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    inherent_band = models.CharField(max_length=20, blank=True, editable=False)
    treatment = models.CharField(
        _("treatment"), max_length=10, choices=Treatment.choices, blank=True
    )
    treatment_plan = models.TextField(_("treatment plan"), blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    residual_band = models.CharField(max_length=20, blank=True, editable=False)
    next_review_date = models.DateField(_("next review"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_reason = models.TextField(blank=True, editable=False)
    systems = models.ManyToManyField("inventory.AISystem", through="RiskSystem", related_name="+")
    controls = models.ManyToManyField(Control, through="RiskControl", related_name="risks")
    atlas_techniques = models.ManyToManyField(
        "incidents.AtlasTechnique",
        through="RiskTechnique",
        related_name="risks",
        blank=True,
        verbose_name=_("MITRE ATLAS techniques"),
    )

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(inherent_likelihood__isnull=True)
                | models.Q(inherent_likelihood__gte=1, inherent_likelihood__lte=5),
                name="risk_inherent_likelihood_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(inherent_impact__isnull=True)
                | models.Q(inherent_impact__gte=1, inherent_impact__lte=5),
                name="risk_inherent_impact_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_likelihood__isnull=True)
                | models.Q(residual_likelihood__gte=1, residual_likelihood__lte=5),
                name="risk_residual_likelihood_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_impact__isnull=True)
                | models.Q(residual_impact__gte=1, residual_impact__lte=5),
                name="risk_residual_impact_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("risk:risk-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != RiskStatus.CLOSED


class RiskSystem(TimeStampedModel):
    """An AI system the risk concerns (engineers see the risks of the systems they own)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="risk_systems")
    system = models.ForeignKey("inventory.AISystem", on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["risk", "system"], name="risk_system_once")]


class RiskControl(TimeStampedModel):
    """An Annex A control applied to treat the risk (clause 6.1.3 b)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="risk_controls")
    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="risk_controls")

    history = audit_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["risk", "control"], name="risk_control_once")
        ]


class RiskAcceptance(TimeStampedModel):
    """The approval that lets a residual risk above the threshold stand: who, when, why, and
    the score and methodology version it was accepted under."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="acceptances")
    methodology = models.ForeignKey(RiskMethodology, on_delete=models.PROTECT, related_name="+")
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    residual_score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=20)
    accepted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    rationale = models.TextField(_("rationale"))
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-accepted_at", "-id"]


class RiskEntry(TimeStampedModel):
    """The risk's own timeline: every rating, status change, acceptance and review, with who
    and why (reasons of any length live here, not in the history's change-reason column)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=12, choices=RiskEntryKind.choices)
    summary = models.TextField()
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = _("risk entries")


class RiskIncidentLink(TimeStampedModel):
    """An incident that changed the register: the risk materialised, was re-rated (old and new
    ratings kept) or was raised from it (NIST AI RMF MANAGE 4.3; ISO/IEC 42001 clause 10.2)."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=14, choices=IncidentLinkKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    old_rating = models.JSONField(default=dict, blank=True)
    new_rating = models.JSONField(default=dict, blank=True)
    linked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField()

    history = audit_history()

    class Meta:
        ordering = ["linked_at", "id"]
        indexes = [models.Index(fields=["incident", "linked_at"])]

    def __str__(self):
        return f"{self.risk.reference} <- incident {self.incident_id} ({self.kind})"


class RiskTechnique(TimeStampedModel):
    """A MITRE ATLAS technique the risk is about (``risk.atlas``); one audited row per link."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="technique_links")
    technique = models.ForeignKey(
        "incidents.AtlasTechnique", on_delete=models.PROTECT, related_name="risk_links"
    )

    history = audit_history()

    class Meta:
        ordering = ["technique__atlas_id"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "technique"], name="risk_technique_once")
        ]

    def __str__(self):
        return f"{self.risk_id} {self.technique_id}"
