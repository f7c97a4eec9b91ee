"""The management review (ISO/IEC 42001 clause 9.3): a meeting of top management that looks at
the period's incidents, trends, clocks, CAPAs, audit findings and recurrences, and decides.

The inputs are compiled from the data (``capa.selectors.management_review_inputs``) while the
review is a draft, and frozen in ``inputs`` when it is recorded: the record then shows what
management saw on the day, whatever changes afterwards. The P0/P1 incidents of the frozen
inputs become ``ManagementReviewIncident`` rows, so each severe incident says which review
covered it. Each action the review decides is a CAPA (source "management review") linked by a
``ManagementReviewAction`` row.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import ManagementReviewStatus

USER = settings.AUTH_USER_MODEL


class ManagementReview(TimeStampedModel):
    """One management-review meeting: when, who, which period, what was said and decided."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    meeting_date = models.DateField(_("meeting date"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"), help_text=_("The last day of the period."))
    attendees = models.ManyToManyField(
        USER,
        through="ManagementReviewAttendee",
        related_name="management_reviews",
        blank=True,
        verbose_name=_("attendees"),
    )
    other_attendees = models.TextField(
        _("other attendees"), blank=True, help_text=_("Names of attendees without an account.")
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ManagementReviewStatus.choices,
        default=ManagementReviewStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    inputs = models.JSONField(_("compiled inputs"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-meeting_date", "-id"]
        verbose_name = _("management review")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="capa_review_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(inputs__isnull=False, recorded_at__isnull=False),
                name="capa_review_recorded_has_inputs",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.meeting_date:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("capa:review-detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status != ManagementReviewStatus.DRAFT


class ManagementReviewAttendee(TimeStampedModel):
    """A user who attended the review."""

    review = models.ForeignKey(
        ManagementReview, on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["id"]
        verbose_name = _("management-review attendee")
        constraints = [
            models.UniqueConstraint(fields=["review", "user"], name="capa_review_attendee_once")
        ]

    def __str__(self):
        return f"{self.review_id}: {self.user_id}"


class ManagementReviewIncident(TimeStampedModel):
    """A P0/P1 incident the review covered (from its frozen inputs, set when recorded)."""

    review = models.ForeignKey(
        ManagementReview, on_delete=models.PROTECT, related_name="covered_incidents"
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="management_reviews"
    )

    history = audit_history()

    class Meta:
        ordering = ["id"]
        verbose_name = _("incident covered by a management review")
        constraints = [
            models.UniqueConstraint(fields=["review", "incident"], name="capa_review_incident_once")
        ]

    def __str__(self):
        return f"{self.review_id} covers {self.incident_id}"


class ManagementReviewAction(TimeStampedModel):
    """An action the review decided: a CAPA with source "management review"."""

    review = models.ForeignKey(ManagementReview, on_delete=models.PROTECT, related_name="actions")
    capa = models.OneToOneField(
        "capa.CorrectiveAction", on_delete=models.PROTECT, related_name="management_review_link"
    )

    history = audit_history()

    class Meta:
        ordering = ["id"]
        verbose_name = _("management-review action")

    def __str__(self):
        return f"{self.review_id}: {self.capa_id}"
