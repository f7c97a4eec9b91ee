"""The register of documented information (ISO/IEC 42001 clause 7.5): the AIMS scope, the AI
policy, the incident-management procedure, the communication plan, the retention schedule and
other procedures — each versioned, approved, owned and reviewed on a clock.

A version holds its text or a file kept write-once with its SHA-256 (``aims.core.files``). The
incident-management procedure is generated from the live configuration (``risk.procedure``): its
versions keep the configuration they were built from and its fingerprint, and an approved version
whose fingerprint no longer matches the live one is outdated (computed when read).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from ..choices import DocumentKind, DocumentVersionStatus

USER = settings.AUTH_USER_MODEL


def document_storage() -> FileSystemStorage:
    """Document files live under MEDIA_ROOT/documents, outside the web root."""
    return FileSystemStorage(location=settings.MEDIA_ROOT / "documents", base_url=None)


def document_path(instance, filename):
    return f"{instance.document.reference}/v{instance.number}-{instance.sha256[:16]}-{filename}"


class Document(TimeStampedModel):
    """One document of the AIMS: its kind, owner and how often it is reviewed."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    review_interval_days = models.PositiveIntegerField(
        _("review interval (days)"), default=365, help_text=_("From the approval of a version.")
    )
    next_review_date = models.DateField(_("next review"), null=True, blank=True, editable=False)
    # The procedure's links to the security, privacy and continuity processes: [{label, url}].
    process_links = models.JSONField(_("links to related processes"), default=list, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    history = audit_history()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("document")

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("risk:document-detail", args=[self.pk])

    @property
    def generated(self) -> bool:
        return self.kind == DocumentKind.INCIDENT_PROCEDURE


class DocumentVersion(TimeStampedModel):
    """One version of a document: drafted, approved (by the AI risk officer or GRC), then
    superseded when the next version is approved. Never edited once approved."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DocumentVersionStatus.choices,
        default=DocumentVersionStatus.DRAFT,
        editable=False,
    )
    summary = models.CharField(_("what changed"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    # The AIMS scope's exclusions: [{item, justification}] (clause 4.3).
    exclusions = models.JSONField(_("exclusions"), default=list, blank=True)
    file = models.FileField(
        storage=document_storage,
        upload_to=document_path,
        max_length=400,
        blank=True,
        editable=False,
    )
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True, editable=False)
    media_type = models.CharField(_("media type"), max_length=120, blank=True, editable=False)
    # A generated procedure: the configuration it was built from and its SHA-256.
    configuration = models.JSONField(default=dict, blank=True, editable=False)
    config_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)
    outdated_at = models.DateTimeField(_("marked outdated at"), null=True, blank=True)
    outdated_reason = models.TextField(_("why it is outdated"), blank=True)

    history = audit_history()

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_once"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="approved"),
                name="one_approved_version_per_document",
            ),
        ]

    def __str__(self):
        return f"{self.document.reference} v{self.number}"

    def get_absolute_url(self):
        return reverse("risk:document-detail", args=[self.document_id]) + f"#v{self.number}"
