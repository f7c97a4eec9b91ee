"""The Annex A catalogue, the Statement of Applicability and the evidence linked to each control
(ISO/IEC 42001 clause 6.1.3, Annex A).
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    Applicability,
    ImplementationStatus,
)

USER = settings.AUTH_USER_MODEL


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
