"""The incident record and what hangs on it directly: affected systems (with the model version
at detection), participants, the timeline, idempotency keys."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    OPEN_STATUSES,
    DetectionSource,
    FailureNature,
    FailureScope,
    HarmFlag,
    IncidentType,
    Kind,
    ParticipantPart,
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
