"""The protected reporting channel (ISO/IEC 42001 A.3.3): reports and their messages."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    ProtectedReportStatus,
)
from .register import Incident

USER = settings.AUTH_USER_MODEL


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
