"""Deadlines of every module, kept by one mechanism (DESIGN section 4).

``ClockPolicy`` and ``EscalationStep`` are the policy as data, edited by GRC in the admin.
``Clock`` is one running deadline on any record (an incident, later a CAPA or an obligation):
start, due, owner, state, and ``next_action_at`` — the next moment the beat tick has something to
do for it, so a tick is one indexed query however many clocks exist.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .choices import ClockState, DurationUnit
from .registry import kind_label, validate_kind


class BusinessCalendar(TimeStampedModel):
    """Which days count as business days: a country's public holidays (from the maintained
    ``holidays`` package), the working week, and the organization's own exceptions."""

    name = models.CharField(max_length=100, default="Organization calendar")
    country = models.CharField(
        max_length=2, default="GB", help_text=_("ISO 3166-1 alpha-2 code, e.g. GB, DE, US")
    )
    subdivision = models.CharField(max_length=10, blank=True, help_text=_("e.g. ENG, BY, CA"))
    time_zone = models.CharField(max_length=64, default="Europe/London")
    working_weekdays = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        help_text=_("0 = Monday … 6 = Sunday; empty means Monday to Friday."),
    )
    active = models.BooleanField(default=True)

    history = audit_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_business_calendar"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.country}{'-' + self.subdivision if self.subdivision else ''})"


class CalendarException(models.Model):
    """A day the calendar treats differently: a company holiday, or a working day on a weekend."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField()
    name = models.CharField(max_length=100)
    is_working_day = models.BooleanField(default=False)

    history = audit_history()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_exception_once")
        ]

    def __str__(self):
        return f"{self.date} {self.name}"


class ClockPolicy(TimeStampedModel):
    """How long a kind of clock runs, per severity, and when its owner is reminded."""

    kind = models.CharField(max_length=30, validators=[validate_kind])
    severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("0 = P0 … 3 = P3; empty = any severity")
    )
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=20, choices=DurationUnit.choices)
    remind_before_minutes = models.PositiveIntegerField(default=30)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["kind", "severity"]
        verbose_name_plural = _("clock policies")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "severity"], name="clock_policy_once", nulls_distinct=False
            ),
        ]

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    def __str__(self):
        sev = f"P{self.severity}" if self.severity is not None else "any"
        return f"{kind_label(self.kind)} {sev}: {self.amount} {self.get_unit_display()}"


class EscalationStep(models.Model):
    """One link of a policy's escalation chain: who is told, how long after the clock ends.

    ``roles`` are role names (grc, risk_officer, ciso, …) or the pseudo-roles ``clock_owner``,
    ``system_owner`` and ``incident_lead``.
    """

    policy = models.ForeignKey(ClockPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    roles = ArrayField(models.CharField(max_length=30))
    delay_minutes = models.PositiveIntegerField(
        default=0, help_text=_("After the clock's due time.")
    )

    history = audit_history()

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="escalation_step_once")
        ]

    def __str__(self):
        return f"{self.policy} step {self.position}: {', '.join(self.roles)} +{self.delay_minutes}m"


class Clock(TimeStampedModel):
    """One deadline on one record."""

    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    kind = models.CharField(max_length=30, validators=[validate_kind])
    label = models.CharField(max_length=200)
    policy = models.ForeignKey(
        ClockPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clocks",
    )
    owner_role = models.CharField(
        max_length=30, blank=True, help_text=_("Who owns it when no person does (e.g. grc).")
    )
    state = models.CharField(max_length=20, choices=ClockState.choices, default=ClockState.RUNNING)
    met_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=300, blank=True)
    reminded = models.BooleanField(default=False)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    next_action_at = models.DateTimeField(null=True, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                name="clock_next_action_idx",
                condition=Q(next_action_at__isnull=False),
            ),
            models.Index(fields=["target_type", "target_id", "kind"], name="clock_target_idx"),
            models.Index(fields=["owner", "state", "due_at"], name="clock_owner_idx"),
            models.Index(fields=["state", "due_at"], name="clock_state_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["target_type", "target_id", "kind"],
                condition=Q(state__in=["running", "breached"], met_at__isnull=True),
                name="one_active_clock_per_kind",
            ),
        ]

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    def __str__(self):
        return f"{self.label} due {self.due_at:%Y-%m-%d %H:%M}"
