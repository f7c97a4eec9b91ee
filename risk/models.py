"""Risk methodology, the AI risk register, the Annex A catalogue and the Statement of
Applicability (DESIGN section 2, ISO/IEC 42001 clauses 6.1.2, 6.1.3 and 8.2-8.3).

Nothing here computes: scores and bands come from ``risk.rules`` through ``risk.services``.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from . import rules
from .choices import (
    Applicability,
    ImplementationStatus,
    IncidentLinkKind,
    MethodologyStatus,
    RiskCategory,
    RiskEntryKind,
    RiskStatus,
    TagScheme,
    Treatment,
)

USER = settings.AUTH_USER_MODEL


class RiskMethodology(TimeStampedModel):
    """One version of the risk criteria: scales, bands, acceptance threshold and who accepts.

    Documented information: drafted, approved by the AI risk officer, then in force until the
    next version is approved. Exactly one version is in force (a database constraint). Risks
    keep the version they were scored under; approving a new one flags them for re-assessment
    instead of re-scoring them.
    """

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MethodologyStatus.choices,
        default=MethodologyStatus.DRAFT,
        editable=False,
    )
    likelihood_scale = models.JSONField(_("likelihood scale"))  # [{level, name, definition}]
    impact_scale = models.JSONField(_("impact scale"))
    bands = models.JSONField(_("bands"))  # [{code, label, min_score, max_score, accept_roles}]
    acceptance_threshold = models.PositiveSmallIntegerField(_("acceptance threshold"))
    notes = models.TextField(_("notes"), blank=True)
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("risk methodology version")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="in_force"),
                name="one_methodology_in_force",
            )
        ]

    def __str__(self):
        return f"v{self.version} {self.title}"

    def get_absolute_url(self):
        return reverse("risk:methodology-detail", args=[self.pk])

    @property
    def method(self) -> rules.Method:
        return rules.method_from(
            self.likelihood_scale,
            self.impact_scale,
            self.bands,
            self.acceptance_threshold,
            self.version,
        )

    def band_label(self, code: str) -> str:
        return next((b["label"] for b in self.bands if b["code"] == code), code or "—")


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


class Control(TimeStampedModel):
    """An ISO/IEC 42001:2023 Annex A control (loaded as data)."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    objective_code = models.CharField(_("objective"), max_length=8)
    objective_title = models.CharField(_("objective title"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.CharField(_("source"), max_length=200)

    history = audit_history()

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return f"{self.code} {self.title}"

    def get_absolute_url(self):
        return reverse("risk:control-detail", args=[self.pk])


class ApplicabilityStatement(TimeStampedModel):
    """The Statement of Applicability entry of one control (clause 6.1.3 d)."""

    control = models.OneToOneField(Control, on_delete=models.PROTECT, related_name="statement")
    applicability = models.CharField(
        _("applicability"),
        max_length=12,
        choices=Applicability.choices,
        default=Applicability.UNDECIDED,
    )
    justification = models.TextField(_("justification"), blank=True)
    implementation_status = models.CharField(
        _("implementation status"),
        max_length=12,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_STARTED,
    )
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["control__position"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(applicability="excluded") | ~models.Q(justification=""),
                name="soa_exclusion_justified",
            )
        ]

    def __str__(self):
        return f"SoA {self.control.code}: {self.get_applicability_display()}"


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


class EvidenceLink(TimeStampedModel):
    """A record that backs an Annex A control: an incident, a risk — and, as they arrive, CAPAs,
    impact assessments and documents (any model registered in ``risk.evidence``)."""

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="evidence_links")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target_label = models.CharField(max_length=300)
    record_date = models.DateField(_("date of the record"))
    note = models.TextField(_("note"), blank=True)
    linked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["-record_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["control", "target_type", "target_id"], name="evidence_link_once"
            )
        ]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.control.code} <- {self.target_label}"


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
