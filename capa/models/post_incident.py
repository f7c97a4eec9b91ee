"""The post-incident review (DESIGN section 2): one per incident, opened when the incident
closes and due 10 business days later. The timeline and the documentation check are computed
from the record (``capa.post_incident``) and frozen into ``snapshot`` when the review is
submitted, and again when it is approved, so an approved review no longer changes. The process
and policy updates it decides are CAPAs, linked through ``ReviewAction``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import ProcessFollowed, ReviewStatus, ReviewUpdateKind

USER = settings.AUTH_USER_MODEL


class PostIncidentReview(TimeStampedModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.PROTECT, related_name="post_incident_review"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        editable=False,
        db_index=True,
    )
    opened_at = models.DateTimeField(_("opened at"), editable=False)
    due_at = models.DateTimeField(_("due"), editable=False)
    root_cause_review = models.TextField(
        _("root cause and its evidence"),
        blank=True,
        help_text=_("How the confirmed root cause is supported by its evidence."),
    )
    controls_failed = models.TextField(_("controls that failed"), blank=True)
    controls_worked = models.TextField(_("controls that worked"), blank=True)
    process_followed = models.CharField(
        _("incident process followed"), max_length=10, choices=ProcessFollowed.choices, blank=True
    )
    process_notes = models.TextField(
        _("why (or why not)"),
        blank=True,
        help_text=_("Needed where the process was not, or only partly, followed."),
    )
    caught_sooner = models.TextField(_("what would have caught it sooner"), blank=True)
    limitation_revealed = models.BooleanField(
        _("the root cause revealed a limitation of the model"),
        default=False,
        help_text=_("Then each affected system's model card must be updated."),
    )
    snapshot = models.JSONField(
        _("frozen timeline and documentation check"), null=True, blank=True, editable=False
    )
    snapshot_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    returned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    returned_at = models.DateTimeField(null=True, blank=True, editable=False)
    return_comment = models.TextField(_("changes asked for"), blank=True, editable=False)
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    approval_comment = models.TextField(_("approval comment"), blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("post-incident review")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="capa_pir_approval_stamped",
            ),
        ]

    def __str__(self):
        return f"{self.reference} ({self.incident_id})"

    def get_absolute_url(self):
        return reverse("capa:pir-detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in (ReviewStatus.DRAFT, ReviewStatus.RETURNED)


class ReviewAction(TimeStampedModel):
    """A process or policy update the review decided, tracked as a CAPA (owner, deadline)."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.PROTECT, related_name="actions")
    capa = models.OneToOneField(
        "capa.CorrectiveAction", on_delete=models.PROTECT, related_name="review_action"
    )
    update_kind = models.CharField(_("update"), max_length=10, choices=ReviewUpdateKind.choices)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["id"]
        verbose_name = _("review action")

    def __str__(self):
        return f"{self.review_id}: {self.capa_id} ({self.update_kind})"
