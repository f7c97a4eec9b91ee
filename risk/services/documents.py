"""Writing the register of documented information: a document, its versions (text, an
uploaded file kept write-once, or the procedure generated from the live configuration), their
approval — which supersedes the version before and restarts the review clock — and marking an
approved version outdated."""

from datetime import UTC, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.clocks.services import record_clocks
from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.files import read_upload, store_file
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, model_save

from .. import permissions, procedure
from ..choices import DocumentClockKind, DocumentKind, DocumentVersionStatus
from ..models import Document, DocumentVersion
from ..workflow import DOCUMENT_VERSION_LIFECYCLE

DOCUMENT_FIELDS = ("kind", "title", "description", "owner", "review_interval_days", "process_links")
REVIEW_HOUR = time(9, 0)


def _check_links(links) -> list:
    if links in (None, ""):
        return []
    if not isinstance(links, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("label"), str)
        and isinstance(item.get("url"), str)
        and item["label"].strip()
        for item in links
    ):
        raise ValidationFailed(
            _("Links are a list of {label, url} pairs, each with a label."),
            fields={"process_links": [_("a list of {label, url}")]},
        )
    return [{"label": i["label"].strip()[:200], "url": i["url"].strip()[:500]} for i in links]


def _check_exclusions(exclusions) -> list:
    if exclusions in (None, ""):
        return []
    if not isinstance(exclusions, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("item"), str)
        and isinstance(item.get("justification"), str)
        for item in exclusions
    ):
        raise ValidationFailed(
            _("Exclusions are a list of {item, justification} pairs."),
            fields={"exclusions": [_("a list of {item, justification}")]},
        )
    cleaned = []
    for entry in exclusions:
        item, why = entry["item"].strip(), entry["justification"].strip()
        if not item:
            continue
        if not why:
            raise ValidationFailed(
                _("Each exclusion from the AIMS scope needs its justification (%(item)s).")
                % {"item": item},
                fields={"exclusions": [_("justification required")]},
            )
        cleaned.append({"item": item[:300], "justification": why[:2000]})
    return cleaned


@audited_write
def document_create(*, actor, data: dict) -> Document:
    require(permissions.can_edit_documents(actor))
    values = {k: v for k, v in data.items() if k in DOCUMENT_FIELDS}
    if values.get("kind") not in DocumentKind.values:
        raise ValidationFailed(
            _("Choose the kind of document: %s.") % ", ".join(DocumentKind.values),
            fields={"kind": [_("invalid choice")]},
        )
    if not (values.get("title") or "").strip():
        raise ValidationFailed(_("Give the document a title."), fields={"title": ["required"]})
    if values.get("owner") is None:
        raise ValidationFailed(_("Name the document's owner."), fields={"owner": ["required"]})
    values["title"] = values["title"].strip()
    values["process_links"] = _check_links(values.get("process_links"))
    document = Document(
        reference=allocate_reference("DOC"),
        created_by=actor,
        **values,
    )
    return model_save(document, actor=actor, lookups=False)


@audited_write
def document_update(*, actor, document, data: dict) -> Document:
    require(permissions.can_edit_documents(actor, document))
    document = Document.objects.select_for_update().get(pk=document.pk)
    for name in ("title", "description", "owner", "review_interval_days"):
        if name in data:
            setattr(document, name, data[name])
    if "process_links" in data:
        document.process_links = _check_links(data["process_links"])
    if not (document.title or "").strip():
        raise ValidationFailed(_("Give the document a title."), fields={"title": ["required"]})
    model_save(document, actor=actor, lookups=False)
    _sync_review_clock(document, actor)
    return document


def _next_number(document) -> int:
    return (document.versions.aggregate(m=Max("number"))["m"] or 0) + 1


@audited_write
def version_draft(
    *, actor, document, body: str = "", summary: str = "", exclusions=None, uploaded_file=None
) -> DocumentVersion:
    """A new draft: its text, or a file kept write-once with its SHA-256 (or both)."""
    require(permissions.can_edit_documents(actor, document))
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.generated:
        raise Conflict(
            _(
                "The incident-management procedure is generated from the live configuration; "
                "use “Generate from configuration” instead of writing it."
            )
        )
    body = (body or "").strip()
    exclusions = _check_exclusions(exclusions)
    if exclusions and document.kind != DocumentKind.AIMS_SCOPE:
        raise ValidationFailed(
            _("Only the AIMS scope lists exclusions."), fields={"exclusions": ["scope only"]}
        )
    if not body and uploaded_file is None:
        raise ValidationFailed(
            _("Write the text of the version or upload its file."),
            fields={"body": ["required without a file"]},
        )
    version = DocumentVersion(
        document=document,
        number=_next_number(document),
        body=body,
        summary=(summary or "").strip()[:300],
        exclusions=exclusions,
        drafted_by=actor,
    )
    return _save_with_file(version, actor, uploaded_file)


def _save_with_file(version, actor, uploaded_file, name=None):
    if uploaded_file is None:
        return model_save(version, actor=actor, lookups=False)
    facts = read_upload(uploaded_file)
    version.original_name = name or facts["original_name"]
    version.sha256, version.size, version.media_type = (
        facts["sha256"],
        facts["size"],
        facts["media_type"],
    )
    store_file(version, version.original_name, uploaded_file)
    try:
        return model_save(version, actor=actor, lookups=False)
    except BaseException:
        version.file.storage.delete(version.file.name)  # no file without its record
        raise


@audited_write
def procedure_version_generated(
    *, actor, document, pdf: bytes, configuration: dict, summary: str = ""
) -> DocumentVersion:
    """A draft of the procedure, as a worker generated it from ``configuration``: the PDF kept
    write-once, the configuration and its fingerprint with it."""
    require(permissions.can_edit_documents(actor, document))
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document.generated:
        raise Conflict(_("Only the incident-management procedure is generated."))
    number = _next_number(document)
    version = DocumentVersion(
        document=document,
        number=number,
        summary=(summary or _("Generated from the live configuration"))[:300],
        configuration=configuration,
        config_fingerprint=procedure.fingerprint(configuration),
        drafted_by=actor,
    )
    upload = ContentFile(pdf, name=f"{document.reference}-v{number}.pdf")
    return _save_with_file(version, actor, upload, name=upload.name)


@audited_write
def version_approve(*, actor, version) -> DocumentVersion:
    """Approve a draft: the approved version before it is superseded, the review clock runs
    again from today. A generated procedure is approved only while it still matches the live
    configuration."""
    require(permissions.can_approve_document(actor, version))
    version = (
        DocumentVersion.objects.select_for_update().select_related("document").get(pk=version.pk)
    )
    document = version.document
    DOCUMENT_VERSION_LIFECYCLE.check(version, to=DocumentVersionStatus.APPROVED, actor=actor)
    now = timezone.now()
    current = (
        DocumentVersion.objects.select_for_update()
        .select_related("document")
        .filter(document=document, status=DocumentVersionStatus.APPROVED)
        .first()
    )
    if current is not None:
        DOCUMENT_VERSION_LIFECYCLE.check(current, to=DocumentVersionStatus.SUPERSEDED, actor=actor)
        current.status, current.superseded_at = DocumentVersionStatus.SUPERSEDED, now
        model_save(current, actor=actor, validate=False)
    version.status = DocumentVersionStatus.APPROVED
    version.approved_by, version.approved_at = actor, now
    model_save(version, actor=actor, validate=False)
    document = Document.objects.select_for_update().get(pk=document.pk)
    document.next_review_date = timezone.localdate(now) + timedelta(
        days=document.review_interval_days
    )
    model_save(document, actor=actor, lookups=False)
    _sync_review_clock(document, actor, met_at=now)
    return version


@audited_write
def version_mark_outdated(*, actor, version, reason: str) -> DocumentVersion:
    """Say that an approved version no longer describes what is done (a new law, a reorg)."""
    require(permissions.can_edit_documents(actor, version.document))
    version = DocumentVersion.objects.select_for_update().get(pk=version.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the version is outdated."), fields={"reason": ["required"]}
        )
    if version.status != DocumentVersionStatus.APPROVED:
        raise Conflict(_("Only the approved version can be marked outdated."))
    version.outdated_at, version.outdated_reason = timezone.now(), reason
    return model_save(version, actor=actor, validate=False)


def _sync_review_clock(document, actor, *, met_at=None) -> None:
    """One running review clock per document with an approved version, due on its next review."""
    clocks = record_clocks(document)
    if met_at is not None:
        clocks.meet(kind=DocumentClockKind.REVIEW, at=met_at, actor=actor)
    if document.next_review_date is None:
        return
    due_at = datetime.combine(document.next_review_date, REVIEW_HOUR, tzinfo=UTC)
    running = clocks.active(DocumentClockKind.REVIEW)
    if running is not None and running.due_at == due_at and running.owner_id == document.owner_id:
        return
    clocks.start(
        kind=DocumentClockKind.REVIEW,
        label=str(_("Document review")),
        started_at=min(timezone.now(), due_at),
        due_at=due_at,
        owner=document.owner,
        actor=actor,
        restart=running is not None,
        reason="review date or owner changed",
    )
