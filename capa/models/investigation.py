"""Tables of the learning loop (ISO/IEC 42001 clause 10.2): what caused an incident, how far it
reached, how it was put right, and whether it came back. State and constraints only; writes
live in ``services``."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    DiagnosticMethod,
    DiagnosticOutcome,
    Horizon,
    RemediationKind,
    RootCauseCategory,
    RootCauseStatus,
    ScopeStatus,
)

USER = settings.AUTH_USER_MODEL


class RootCause(TimeStampedModel):
    """A cause considered for an incident: confirmed (at most one per incident, by the database)
    or ruled out with a reason — the ruled-out candidates stay, so the case file shows what was
    examined and why it was not the cause."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="root_causes"
    )
    category = models.CharField(_("category"), max_length=30, choices=RootCauseCategory.choices)
    statement = models.TextField(_("statement"))
    contributing_factors = models.TextField(_("contributing factors"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RootCauseStatus.choices,
        default=RootCauseStatus.CONSIDERED,
        editable=False,
    )
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    ruled_out_reason = models.TextField(_("why it was ruled out"), blank=True, editable=False)
    ruled_out_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    ruled_out_at = models.DateTimeField(_("ruled out at"), null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("root cause")
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(status="confirmed"),
                name="capa_one_confirmed_root_cause",
                violation_error_message=_("This incident already has a confirmed root cause."),
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="capa_root_cause_confirmed_stamped",
            ),
        ]
        indexes = [models.Index(fields=["category", "status"], name="capa_root_cause_category_idx")]

    def __str__(self):
        return f"{self.get_category_display()}: {self.statement[:60]}"


class Why(TimeStampedModel):
    """One step of the five-whys chain: each answer a row, in order."""

    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="whys")
    position = models.PositiveSmallIntegerField(_("position"), validators=[MinValueValidator(1)])
    question = models.TextField(_("why?"))
    answer = models.TextField(_("because"))
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("why")
        verbose_name_plural = _("whys")
        constraints = [
            models.UniqueConstraint(fields=["root_cause", "position"], name="capa_why_position")
        ]

    def __str__(self):
        return f"{self.position}. {self.question[:60]}"


class Diagnostic(TimeStampedModel):
    """The diagnostic done for a category considered, and what it showed."""

    root_cause = models.ForeignKey(RootCause, on_delete=models.CASCADE, related_name="diagnostics")
    method = models.CharField(_("method"), max_length=30, choices=DiagnosticMethod.choices)
    description = models.TextField(_("what was done"))
    result = models.TextField(_("result"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=DiagnosticOutcome.choices)
    performed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(_("performed at"))

    history = audit_history()

    class Meta:
        ordering = ["performed_at", "id"]
        verbose_name = _("diagnostic")

    def __str__(self):
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


class RootCauseEvidence(TimeStampedModel):
    """A link from a root cause to one of its incident's evidence items (never another's)."""

    root_cause = models.ForeignKey(
        RootCause, on_delete=models.CASCADE, related_name="evidence_links"
    )
    evidence = models.ForeignKey("incidents.Evidence", on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("what it shows"), blank=True)
    linked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("root-cause evidence link")
        constraints = [
            models.UniqueConstraint(
                fields=["root_cause", "evidence"], name="capa_root_cause_evidence_once"
            )
        ]

    def __str__(self):
        return f"{self.root_cause_id} ← evidence {self.evidence_id}"


class ScopeConfirmation(TimeStampedModel):
    """How many decisions the failure reached — the number reported to regulators.

    A best estimate with explicit uncertainty where the count cannot be finished before a
    deadline (``status`` says which); confirmed once a sample was checked by hand. The bounds
    always hold: ``lower ≤ confirmed ≤ upper ≤ population``.
    """

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="scope_confirmation"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ScopeStatus.choices, editable=False
    )
    period_start = models.DateTimeField(_("affected period — from"))
    period_end = models.DateTimeField(_("affected period — to"))
    population = models.PositiveIntegerField(_("decisions processed in the period"))
    classification_rule = models.TextField(_("classification rule"))
    sample_size = models.PositiveIntegerField(_("hand-verified sample size"))
    sample_failures = models.PositiveIntegerField(_("confirmed failures in the sample"))
    confirmed_count = models.PositiveIntegerField(_("affected decisions"))
    lower_bound = models.PositiveIntegerField(_("lower bound"))
    upper_bound = models.PositiveIntegerField(_("upper bound"))
    uncertainty_note = models.TextField(
        _("uncertainty"), blank=True, help_text=_("Needed for an estimate: what is not known yet.")
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        verbose_name = _("scope confirmation")
        constraints = [
            models.CheckConstraint(
                condition=Q(lower_bound__lte=F("confirmed_count"))
                & Q(confirmed_count__lte=F("upper_bound"))
                & Q(upper_bound__lte=F("population")),
                name="capa_scope_bounds_ordered",
                violation_error_message=_(
                    "The bounds must hold: lower ≤ count ≤ upper ≤ population."
                ),
            ),
            models.CheckConstraint(
                condition=Q(sample_failures__lte=F("sample_size"))
                & Q(sample_size__lte=F("population")),
                name="capa_scope_sample_within_population",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="capa_scope_period_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.incident_id}: {self.confirmed_count} of {self.population} ({self.status})"

    @property
    def is_confirmed(self) -> bool:
        return self.status == ScopeStatus.CONFIRMED

    @property
    def percentage(self):
        """Share of the period's decisions affected, in percent (three decimals)."""
        from decimal import ROUND_HALF_UP, Decimal

        if not self.population:
            return Decimal("0.000")
        return (Decimal(self.confirmed_count) * 100 / Decimal(self.population)).quantize(
            Decimal("0.001"), rounding=ROUND_HALF_UP
        )

    def clean(self):
        errors = {}
        values = (self.lower_bound, self.confirmed_count, self.upper_bound, self.population)
        if None not in values:
            lower, count, upper, population = values
            if lower > count:
                errors["lower_bound"] = _("The lower bound cannot exceed the affected count.")
            if count > upper:
                errors["upper_bound"] = _("The upper bound cannot be below the affected count.")
            if upper > population:
                errors["upper_bound"] = _(
                    "The upper bound cannot exceed the decisions processed in the period."
                )
        if None not in (self.sample_size, self.sample_failures, self.population):
            if self.sample_failures > self.sample_size:
                errors["sample_failures"] = _(
                    "The sample cannot hold more failures than cases checked."
                )
            if self.sample_size > self.population:
                errors["sample_size"] = _(
                    "The sample cannot be larger than the decisions processed in the period."
                )
        if self.period_start and self.period_end and self.period_start > self.period_end:
            errors["period_end"] = _("The affected period cannot end before it starts.")
        if self.status == ScopeStatus.ESTIMATE and not self.uncertainty_note.strip():
            errors["uncertainty_note"] = _(
                "An estimate says what is uncertain: describe what is not known yet."
            )
        if errors:
            raise ValidationError(errors)


class RemediationPlan(TimeStampedModel):
    """One per incident: the re-processing counts, the verification of the fix on the failing
    input types, and the "normal operation restored" decision that needs that verification."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="remediation_plan"
    )
    affected_cases = models.PositiveIntegerField(_("affected cases"), default=0)
    reprocessed_cases = models.PositiveIntegerField(_("re-processed"), default=0)
    outcome_changed_cases = models.PositiveIntegerField(_("outcome changed"), default=0)
    fix_verification = models.TextField(
        _("verification of the fix on the failing input types"), blank=True, editable=False
    )
    fix_verified_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    fix_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    restored_note = models.TextField(_("decision"), blank=True, editable=False)
    restored_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    restored_at = models.DateTimeField(
        _("normal operation restored at"), null=True, blank=True, editable=False
    )

    history = audit_history()

    class Meta:
        verbose_name = _("remediation plan")
        constraints = [
            models.CheckConstraint(
                condition=Q(reprocessed_cases__lte=F("affected_cases"))
                & Q(outcome_changed_cases__lte=F("reprocessed_cases")),
                name="capa_reprocessing_counts",
            ),
            models.CheckConstraint(
                condition=Q(restored_at__isnull=True) | Q(fix_verified_at__isnull=False),
                name="capa_restored_needs_verification",
            ),
        ]

    def __str__(self):
        return f"Remediation plan of {self.incident_id}"

    @property
    def remaining_cases(self) -> int:
        return self.affected_cases - self.reprocessed_cases

    def clean(self):
        errors = {}
        if self.reprocessed_cases > self.affected_cases:
            errors["reprocessed_cases"] = _("More cases cannot be re-processed than were affected.")
        if self.outcome_changed_cases > self.reprocessed_cases:
            errors["outcome_changed_cases"] = _(
                "An outcome can change only for a case that was re-processed."
            )
        if errors:
            raise ValidationError(errors)


class RemediationItem(TimeStampedModel):
    """One step of the plan, in its horizon, with an owner, a due date and when it was done."""

    plan = models.ForeignKey(RemediationPlan, on_delete=models.CASCADE, related_name="items")
    horizon = models.CharField(_("horizon"), max_length=20, choices=Horizon.choices)
    kind = models.CharField(_("kind"), max_length=30, choices=RemediationKind.choices)
    description = models.TextField(_("description"))
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    done_note = models.TextField(_("how it was done"), blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("remediation item")

    def __str__(self):
        return f"{self.get_horizon_display()}: {self.description[:60]}"


class RecurrencePolicy(TimeStampedModel):
    """How close two incidents on one system with the same root-cause category must be to
    count as a recurrence. Policy data GRC edits in the admin; one row (seeded)."""

    window_days = models.PositiveSmallIntegerField(
        _("recurrence window (days)"), default=90, validators=[MinValueValidator(1)]
    )

    history = audit_history()

    class Meta:
        verbose_name = _("recurrence policy")
        verbose_name_plural = _("recurrence policy")

    def __str__(self):
        return f"Recurrence within {self.window_days} days"


class Recurrence(TimeStampedModel):
    """Two incidents on the same system whose confirmed root causes share a category within
    the window: the earlier incident's fixes did not hold (its CAPAs are suspect)."""

    earlier_incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="recurred_as"
    )
    later_incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="recurrence_of"
    )
    system = models.ForeignKey("inventory.AISystem", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=30, choices=RootCauseCategory.choices)
    earlier_root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="+")
    later_root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, related_name="+")
    days_apart = models.PositiveIntegerField(_("days apart"))
    window_days = models.PositiveSmallIntegerField(_("window applied (days)"))

    history = audit_history()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("recurrence")
        constraints = [
            models.UniqueConstraint(
                fields=["earlier_incident", "later_incident"], name="capa_recurrence_once"
            ),
            models.CheckConstraint(
                condition=~Q(earlier_incident=F("later_incident")),
                name="capa_recurrence_two_incidents",
            ),
        ]

    def __str__(self):
        return f"{self.later_incident_id} recurs {self.earlier_incident_id} ({self.category})"
