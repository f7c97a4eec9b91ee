"""The risk methodology: scales, bands, acceptance threshold — documented information,
versioned and approved (ISO/IEC 42001 clause 6.1.2).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .. import rules
from ..choices import (
    MethodologyStatus,
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
