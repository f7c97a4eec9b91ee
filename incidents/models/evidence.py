"""Evidence (write-once, SHA-256, chain of custody), approvals, containment decisions and the
rollbacks they carry out in a model registry."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import (
    ApprovalSubject,
    ContainmentOption,
    CustodyAction,
    EvidenceKind,
    RegistryRollbackStatus,
)
from .register import Incident

USER = settings.AUTH_USER_MODEL


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
