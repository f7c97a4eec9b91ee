"""Saved report runs: what was generated, from which parameters, by whom, and its SHA-256.

Reporting reads the other modules through their selectors and writes nothing of theirs; its
only table is this record of generated documents, so a printed or e-mailed copy can be checked
against the hash the system recorded, and long-running work can show its progress.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history

from .choices import ReportKind, RunStatus


def report_storage() -> FileSystemStorage:
    """Generated documents live under MEDIA_ROOT/reports, outside the web root (read at run time)."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "reports", base_url=None)


class ReportRun(models.Model):
    kind = models.CharField(_("kind"), max_length=30, choices=ReportKind.choices, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_runs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_runs"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(storage=report_storage, upload_to="%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    media_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    # A running run belongs to the worker that claimed it until its lease expires; the worker
    # renews the lease with each progress step. A run still running after its lease (the worker
    # died) is taken up again by the sweep, at most MAX_ATTEMPTS times.
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    history = audit_history()

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "status"], name="reportrun_requester_status"),
            models.Index(fields=["status", "lease_expires_at"], name="reportrun_status_lease"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))
