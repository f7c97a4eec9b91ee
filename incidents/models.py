"""The incident register (ISO/IEC 42001 clause 10.2, Annex A.3.3, A.8.4).

An incident's record is the spine of its case file: what happened, which systems and model
versions, how bad and for whom, every move of its lifecycle, the evidence preserved before
anyone remediated, and the decisions and approvals along the way. Workflow lives in
``workflow.py`` and ``services/``; these models hold state and constraints only.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .choices import (
    OPEN_STATUSES,
    AlertSource,
    AlertState,
    ApprovalSubject,
    ContainmentOption,
    CustodyAction,
    DetectionSource,
    EvidenceKind,
    FailureNature,
    FailureScope,
    HarmFlag,
    IncidentType,
    Kind,
    ParticipantPart,
    ProtectedReportStatus,
    RegistryRollbackStatus,
    Severity,
    Status,
    TimelineKind,
)

USER = settings.AUTH_USER_MODEL


class Incident(TimeStampedModel):
    """An AI incident or near miss, from report to closure."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.INCIDENT, db_index=True
    )
    types = ArrayField(
        models.CharField(max_length=30, choices=IncidentType.choices),
        verbose_name=_("types"),
        default=list,
        blank=True,
    )
    failure_nature = models.CharField(
        _("nature of failure"), max_length=30, choices=FailureNature.choices, blank=True
    )
    scope = models.CharField(
        _("scope of failure"), max_length=20, choices=FailureScope.choices, blank=True
    )
    affected_inputs = models.TextField(
        _("which inputs are affected"),
        blank=True,
        help_text=_("e.g. 'applications with a non-EU postcode'"),
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=Severity.choices, null=True, blank=True, db_index=True
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REPORTED,
        editable=False,
        db_index=True,
    )
    detection_source = models.CharField(
        _("detection source"),
        max_length=30,
        choices=DetectionSource.choices,
        blank=True,
        db_index=True,
    )
    # Indexed together with the id (``incident_register_order_idx``), the register's order.
    detected_at = models.DateTimeField(_("detected at"))
    failure_began_at = models.DateTimeField(
        _("failure began at (best estimate)"), null=True, blank=True
    )
    reported_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reporter_label = models.CharField(
        _("reported through"),
        max_length=120,
        blank=True,
        help_text=_("Set when no user filed it: an alert source or the protected channel."),
    )
    lead = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_incidents",
        verbose_name=_("incident lead"),
    )
    systems = models.ManyToManyField(
        "inventory.AISystem",
        through="AffectedSystem",
        related_name="incidents",
        verbose_name=_("affected systems"),
    )
    outputs_affected_estimate = models.PositiveIntegerField(
        _("outputs affected (estimate)"), null=True, blank=True
    )
    individuals_affected_estimate = models.PositiveIntegerField(
        _("individuals affected (estimate)"), null=True, blank=True
    )
    individuals_affected_confirmed = models.PositiveIntegerField(
        _("individuals affected (confirmed)"), null=True, blank=True
    )
    individuals_affected_lower = models.PositiveIntegerField(
        _("confirmed count — lower bound"), null=True, blank=True
    )
    individuals_affected_upper = models.PositiveIntegerField(
        _("confirmed count — upper bound"), null=True, blank=True
    )
    decisions_affected_pct = models.DecimalField(
        _("share of decisions affected (%)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    financial_impact_estimate = models.DecimalField(
        _("financial impact estimate"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    financial_impact_currency = models.CharField(_("currency"), max_length=3, default="USD")
    harm_flags = ArrayField(
        models.CharField(max_length=30, choices=HarmFlag.choices),
        verbose_name=_("harm flags"),
        default=list,
        blank=True,
    )
    reputational_risk = models.BooleanField(_("reputational risk if public"), default=False)
    jurisdictions = ArrayField(
        models.CharField(max_length=10),
        verbose_name=_("jurisdictions"),
        default=list,
        blank=True,
        help_text=_("ISO codes, e.g. EU, DE, US-CA"),
    )
    links = models.JSONField(
        _("links"),
        default=list,
        blank=True,
        help_text=_("Alerts, tickets, dashboards: a list of {label, url}."),
    )
    restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_(
            "Visible only to its participants and GRC (incidents about staff or under legal privilege)."
        ),
    )
    # Milestones, stamped by the lifecycle (workflow.py) and by the services that reach them.
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True, editable=False)
    evidence_preserved_at = models.DateTimeField(
        _("evidence preserved at"), null=True, blank=True, editable=False
    )
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True, editable=False)
    root_cause_confirmed_at = models.DateTimeField(
        _("root cause confirmed at"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    verification_note = models.TextField(
        _("verification note"),
        blank=True,
        help_text=_("How the fix was tested on the failing input types (needed to resolve)."),
    )
    closing_summary = models.TextField(_("closing summary"), blank=True)
    scenario_note = models.TextField(
        _("exercise scenario"),
        blank=True,
        help_text=_("For an exercise: the scenario played, its injects and who ran it."),
    )
    atlas_techniques = models.ManyToManyField(
        "AtlasTechnique",
        through="IncidentTechnique",
        related_name="incidents",
        blank=True,
        verbose_name=_("MITRE ATLAS techniques"),
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True, editable=False)
    # The register's full-text search reads this column through its GIN index. PostgreSQL
    # computes it from title and description on every insert and update, so it is current
    # whichever way a row is written (services, bulk loads, migrations) and never edited.
    search_vector = models.GeneratedField(
        expression=SearchVector("title", "description", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("search vector"),
    )

    # A derived column is not part of the record: its history is that of title and description.
    history = audit_history(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("incident")
        indexes = [
            models.Index(fields=["status", "severity"], name="incident_status_severity_idx"),
            # The register's default order, so a page (however deep) is read in index order.
            models.Index(fields=["detected_at", "id"], name="incident_register_order_idx"),
            GinIndex(fields=["search_vector"], name="incident_search_vector_idx"),
            # Substring search in titles and references (``icontains`` compares upper case).
            GinIndex(
                OpClass(Upper("title"), name="gin_trgm_ops"), name="incident_title_trigram_idx"
            ),
            GinIndex(
                OpClass(Upper("reference"), name="gin_trgm_ops"),
                name="incident_reference_trigram_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(individuals_affected_lower__isnull=True)
                | Q(individuals_affected_upper__isnull=True)
                | Q(individuals_affected_lower__lte=models.F("individuals_affected_upper")),
                name="incident_bounds_ordered",
                violation_error_message=_("The lower bound cannot exceed the upper bound."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:incident-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_exercise(self) -> bool:
        return self.kind == Kind.EXERCISE

    def clean(self):
        errors = {}
        if self.failure_began_at and self.detected_at and self.failure_began_at > self.detected_at:
            errors["failure_began_at"] = _("The failure cannot begin after it was detected.")
        lower, upper, confirmed = (
            self.individuals_affected_lower,
            self.individuals_affected_upper,
            self.individuals_affected_confirmed,
        )
        if lower is not None and upper is not None and lower > upper:
            errors["individuals_affected_lower"] = _(
                "The lower bound cannot exceed the upper bound."
            )
        if confirmed is not None and lower is not None and confirmed < lower:
            errors["individuals_affected_confirmed"] = _(
                "The confirmed count is below its lower bound."
            )
        if confirmed is not None and upper is not None and confirmed > upper:
            errors["individuals_affected_confirmed"] = _(
                "The confirmed count is above its upper bound."
            )
        if not isinstance(self.links, list) or any(
            not isinstance(link, dict)
            or not str(link.get("url", "")).startswith(("http://", "https://"))
            for link in self.links
        ):
            errors["links"] = _('Links are a list of {"label": …, "url": "https://…"}.')
        if errors:
            raise ValidationError(errors)


class AffectedSystem(TimeStampedModel):
    """A system affected by an incident, pinned to what was running when it was detected."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="affected_systems"
    )
    system = models.ForeignKey(
        "inventory.AISystem",
        on_delete=models.PROTECT,
        related_name="incident_links",
        verbose_name=_("AI system"),
    )
    model_version = models.ForeignKey(
        "inventory.ModelVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("model version at detection"),
    )
    deployment = models.ForeignKey(
        "inventory.Deployment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("change-log entry"),
    )
    artifact_digest = models.CharField(_("artifact digest"), max_length=200, blank=True)
    prompt_config_version = models.CharField(
        _("prompt / configuration version"), max_length=200, blank=True
    )
    training_data_version = models.CharField(_("training-data version"), max_length=200, blank=True)
    added_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    history = audit_history()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "system"], name="affected_system_once")
        ]

    def __str__(self):
        version = self.model_version.version_label if self.model_version_id else "version unknown"
        return f"{self.system.reference} ({version})"


class Participant(TimeStampedModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="incident_parts")
    part = models.CharField(_("part"), max_length=20, choices=ParticipantPart.choices)

    history = audit_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user", "part"], name="participant_part_once"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.get_part_display()}"


def evidence_storage() -> FileSystemStorage:
    """Evidence lives under MEDIA_ROOT/evidence, outside the web root. A callable, so settings are
    read at run time and migrations do not depend on where the project is checked out."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "evidence", base_url=None)


def evidence_path(instance, filename):
    return f"{instance.incident.reference}/{instance.sha256[:16]}-{filename}"


class Evidence(TimeStampedModel):
    """A write-once file preserved for an incident. Never edited; its hash is re-checked on read."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(
        storage=evidence_storage, upload_to=evidence_path, max_length=400, editable=False
    )
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=EvidenceKind.choices)
    description = models.TextField(_("description"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), editable=False)
    media_type = models.CharField(_("media type"), max_length=120, editable=False)
    period_start = models.DateTimeField(_("period covered — from"), null=True, blank=True)
    period_end = models.DateTimeField(_("period covered — to"), null=True, blank=True)
    captured_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("captured by")
    )
    captured_at = models.DateTimeField(_("captured at"))

    history = audit_history()

    class Meta:
        ordering = ["captured_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self):
        return f"{self.original_name} ({self.sha256[:12]}…)"

    def clean(self):
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})


class EvidenceAccess(models.Model):
    """Chain of custody: every upload, download and export of an evidence file."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="custody")
    action = models.CharField(max_length=20, choices=CustodyAction.choices)
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    hash_verified = models.BooleanField(default=False)

    history = audit_history()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.evidence_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class Approval(TimeStampedModel):
    """Who approved what and when — waivers, containment, 'no notification', closure."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="approvals")
    subject = models.CharField(_("subject"), max_length=30, choices=ApprovalSubject.choices)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("approved at"))
    comment = models.TextField(_("comment"))

    history = audit_history()

    class Meta:
        ordering = ["approved_at", "id"]

    def __str__(self):
        return f"{self.get_subject_display()} by {self.approved_by}"


class ContainmentDecision(TimeStampedModel):
    """The containment choice (option A, option B, or none needed) and why."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="containment_decisions"
    )
    option = models.CharField(_("option"), max_length=20, choices=ContainmentOption.choices)
    rationale = models.TextField(_("rationale"))
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))
    fallback_version = models.ForeignKey(
        "inventory.ModelVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("known-good version (option A)"),
    )
    waiver = models.ForeignKey(
        Approval,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The approved waiver, when decided before evidence was preserved."),
    )

    history = audit_history()

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self):
        return f"{self.incident.reference}: {self.get_option_display()}"


class TimelineEntry(models.Model):
    """One line of the incident's timeline. Written only by ``incidents.events``."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, blank=True)
    summary = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at", "id"], name="timeline_incident_at_idx")]
        verbose_name_plural = _("timeline entries")

    def __str__(self):
        return f"{self.incident_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_display(self) -> str:
        if self.actor_id:
            return str(self.actor)
        return self.actor_label or "system"


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


class IdempotencyRecord(models.Model):
    """An ``Idempotency-Key`` seen on an incident create, so a retried call returns the same incident."""

    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class ProtectedReport(TimeStampedModel):
    """A concern raised through the public reporting channel (ISO/IEC 42001 A.3.3).

    The reporter needs no account. Their identity, when given, is visible only to the ethics role
    and GRC. The receipt code is shown once and stored only as a hash.
    """

    receipt_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProtectedReportStatus.choices,
        default=ProtectedReportStatus.RECEIVED,
    )
    system_description = models.CharField(
        _("which AI system or service"), max_length=300, blank=True
    )
    description = models.TextField(_("what happened"))
    occurred_at_text = models.CharField(_("when it happened"), max_length=200, blank=True)
    reporter_relationship = models.CharField(_("reporter is"), max_length=30, blank=True)
    contact_name = models.CharField(_("name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=50, blank=True)
    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="protected_report"
    )
    public_status_note = models.TextField(_("message to the reporter"), blank=True)

    history = audit_history(excluded_fields=["contact_name", "contact_email", "contact_phone"])

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Protected report #{self.pk}"

    @property
    def is_anonymous(self) -> bool:
        return not (self.contact_name or self.contact_email or self.contact_phone)


class ProtectedReportMessage(models.Model):
    """Further information from the reporter, or a reply to them, on a protected report."""

    report = models.ForeignKey(ProtectedReport, on_delete=models.CASCADE, related_name="messages")
    from_reporter = models.BooleanField(default=True)
    body = models.TextField()
    author = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"message on report {self.report_id}"


# --- MITRE ATLAS (the adversarial-AI matrix): tactics and techniques as reference data -------


class AtlasTactic(TimeStampedModel):
    """A tactic of the MITRE ATLAS matrix (``AML.TA0004`` Initial Access), loaded from
    ``incidents/data/atlas.json`` (``incidents.atlas``). ``atlas_version`` is the ATLAS release
    it was last loaded from; one that a newer release dropped stays, marked not ``current``, so
    old records keep their meaning."""

    atlas_id = models.CharField(_("ATLAS ID"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position in the matrix"), default=0)
    atlas_version = models.CharField(_("ATLAS version"), max_length=20)
    current = models.BooleanField(_("in the current release"), default=True)

    history = audit_history()

    class Meta:
        ordering = ["position", "atlas_id"]
        verbose_name = _("ATLAS tactic")

    def __str__(self):
        return f"{self.atlas_id} {self.name}"


class AtlasTechnique(TimeStampedModel):
    """A technique or sub-technique of MITRE ATLAS (``AML.T0051`` LLM Prompt Injection,
    ``AML.T0051.000`` Direct). A sub-technique names its ``parent`` and takes its tactics."""

    atlas_id = models.CharField(_("ATLAS ID"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subtechniques",
        verbose_name=_("parent technique"),
    )
    tactics = models.ManyToManyField(
        AtlasTactic, related_name="techniques", blank=True, verbose_name=_("tactics")
    )
    atlas_version = models.CharField(_("ATLAS version"), max_length=20)
    current = models.BooleanField(_("in the current release"), default=True)

    history = audit_history()

    class Meta:
        ordering = ["atlas_id"]
        verbose_name = _("ATLAS technique")

    def __str__(self):
        return f"{self.atlas_id} {self.name}"

    @property
    def label(self) -> str:
        if self.parent_id:
            return f"{self.atlas_id} {self.parent.name}: {self.name}"
        return f"{self.atlas_id} {self.name}"


class IncidentTechnique(TimeStampedModel):
    """An ATLAS technique an incident (or exercise) involved; one audited row per link."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="technique_links")
    technique = models.ForeignKey(
        AtlasTechnique, on_delete=models.PROTECT, related_name="incident_links"
    )

    history = audit_history()

    class Meta:
        ordering = ["technique__atlas_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "technique"], name="incident_technique_once"
            )
        ]

    def __str__(self):
        return f"{self.incident_id} {self.technique_id}"


ROLLBACK_STALLED_AFTER = timedelta(minutes=10)


class RegistryRollback(TimeStampedModel):
    """Option A carried out in the model registry: the production alias moved back to the
    decision's known-good version.

    The move runs after the decision is committed, in a task (no request waits on the
    registry). Only when the alias reads back as the chosen version is the rollback recorded
    in the change log (``deployment``); a failed move leaves the change log as it was, says why
    here and on the timeline, and can be retried.
    """

    decision = models.OneToOneField(
        ContainmentDecision, on_delete=models.PROTECT, related_name="registry_rollback"
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="registry_rollbacks"
    )
    from_version = models.ForeignKey(
        "inventory.ModelVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version in production before"),
    )
    to_version = models.ForeignKey(
        "inventory.ModelVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("version moved to"),
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RegistryRollbackStatus.choices,
        default=RegistryRollbackStatus.REQUESTED,
    )
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    error_message = models.TextField(_("error"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    deployment = models.OneToOneField(
        "inventory.Deployment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rollback in the change log"),
    )

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("registry rollback")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="moved")
                | Q(deployment__isnull=False, verified_at__isnull=False),
                name="registryrollback_moved_is_verified",
                violation_error_message=_("A moved alias needs its read-back and its deployment."),
            )
        ]

    def __str__(self):
        return f"{self.incident_id} → {self.to_version_id} {self.status}"

    @property
    def pending(self) -> bool:
        return self.status == RegistryRollbackStatus.REQUESTED

    @property
    def stalled(self) -> bool:
        """Requested, and untouched for longer than the task's tries take: its message was lost."""
        from django.utils import timezone

        return self.pending and self.updated_at < timezone.now() - ROLLBACK_STALLED_AFTER
