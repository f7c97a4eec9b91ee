"""Report runs: request, execute with progress, store the file once with its SHA-256.

Each kind of report registers a *builder* (``@builder(ReportKind.X)``): a function
``build(run, progress) -> BuiltFile`` that reads other modules through their selectors and
returns the document. ``report_execute`` runs it (in a Celery task for large work, inline for a
single case file), records progress, stores the file outside the web root and records its hash,
so a copy can later be checked against what the system produced.
"""

import contextlib
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.services import audited_write, model_save

from . import permissions
from .choices import ReportKind, RunStatus
from .models import ReportRun

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024


@dataclass
class BuiltFile:
    """What a builder returns: the bytes (or an open binary file), a name and a media type."""

    content: bytes | None
    file_name: str
    media_type: str
    path: str | None = None  # a temporary file on disk instead of bytes, for large outputs


Progress = Callable[[int, int], None]
_BUILDERS: dict[str, Callable[[ReportRun, Progress], BuiltFile]] = {}


def builder(kind: str):
    def register(func):
        _BUILDERS[kind] = func
        return func

    return register


class ReportIntegrityFailed(ApplicationError):
    code = "report_integrity_failed"
    status_code = 409
    default_message = _(
        "The stored document no longer matches the SHA-256 recorded when it was generated."
    )


@audited_write
def report_request(*, actor, kind: str, params: dict | None = None, incident=None) -> ReportRun:
    """Record the request. The caller queues ``execute_report`` (or runs it inline) after commit."""
    if kind not in ReportKind.values:
        raise ValidationFailed(
            _("Unknown report kind. Choose one of: %s.") % ", ".join(ReportKind.values)
        )
    if not permissions.can_request(actor, kind):
        raise PermissionRefused(_("Your role cannot generate this report."))
    return model_save(
        ReportRun(kind=kind, params=params or {}, incident=incident, requested_by=actor),
        actor=actor,
    )


def report_progress(run: ReportRun, done: int, total: int) -> None:
    """Progress is ephemeral bookkeeping, not a record: written with update() and no history."""
    ReportRun.objects.filter(pk=run.pk).update(progress_done=done, progress_total=total)
    run.progress_done, run.progress_total = done, total


def _hash_file(fileobj) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@audited_write
def _mark(run_id: int, **fields) -> ReportRun:
    run = ReportRun.objects.select_for_update().get(pk=run_id)
    for name, value in fields.items():
        setattr(run, name, value)
    return model_save(run, actor=run.requested_by)


def report_execute(run_id: int) -> ReportRun:
    """Build the document of a queued run. Safe to call twice: a finished run is left alone."""
    run = ReportRun.objects.select_related("requested_by", "incident").get(pk=run_id)
    if run.status in (RunStatus.DONE, RunStatus.RUNNING):
        return run
    build = _BUILDERS.get(run.kind)
    if build is None:
        return _mark(
            run.pk,
            status=RunStatus.FAILED,
            message=f"no builder for {run.kind}",
            finished_at=timezone.now(),
        )
    run = _mark(run.pk, status=RunStatus.RUNNING)
    try:
        built = build(run, lambda done, total: report_progress(run, done, total))
    except ApplicationError as exc:
        return _mark(
            run.pk, status=RunStatus.FAILED, message=exc.message, finished_at=timezone.now()
        )
    except Exception as exc:
        logger.exception("report run %s failed", run.pk)
        return _mark(
            run.pk,
            status=RunStatus.FAILED,
            message=f"Generation failed: {exc.__class__.__name__}",
            finished_at=timezone.now(),
        )
    try:
        return _store(run, built)
    finally:
        if built.path:  # the builder's temporary file: stored now, or the store failed
            with contextlib.suppress(OSError):
                os.unlink(built.path)


@audited_write
def _store(run: ReportRun, built: BuiltFile) -> ReportRun:
    run = ReportRun.objects.select_for_update().get(pk=run.pk)
    if built.path:
        with open(built.path, "rb") as handle:
            sha256, size = _hash_file(handle)
            handle.seek(0)
            run.file.save(built.file_name, File(handle), save=False)
    else:
        sha256, size = hashlib.sha256(built.content).hexdigest(), len(built.content)
        run.file.save(built.file_name, ContentFile(built.content), save=False)
    run.file_name, run.media_type, run.sha256, run.size = (
        built.file_name,
        built.media_type,
        sha256,
        size,
    )
    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    run.progress_done = run.progress_total = max(run.progress_total, 1)
    return model_save(run, actor=run.requested_by)


def report_open(*, actor, run: ReportRun):
    """Open a finished run's file after re-checking its SHA-256."""
    if run.status != RunStatus.DONE or not run.file:
        raise ValidationFailed(_("This report is not ready yet (%s).") % run.get_status_display())
    with run.file.open("rb") as handle:
        sha256, _size = _hash_file(handle)
    if sha256 != run.sha256:
        raise ReportIntegrityFailed()
    return run.file.open("rb")


def report_queue(run: ReportRun) -> None:
    """Hand a run to a worker after commit. When the broker is down the run stays queued and the
    sweep (``reporting.tasks.sweep_queued``) picks it up."""
    from .tasks import execute_report

    def send():
        try:
            execute_report.apply_async(args=[run.pk], retry=False)
        except Exception as exc:  # noqa: BLE001 - kombu raises several types when the broker is down
            logger.warning("broker unavailable; report run %s stays queued: %s", run.pk, exc)

    transaction.on_commit(send)


def document_lookup(sha256: str) -> ReportRun | None:
    """Which generated document has this hash — to check a printed or forwarded copy."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64:
        return None
    return (
        ReportRun.objects.filter(sha256=sha256, status=RunStatus.DONE)
        .select_related("requested_by", "incident")
        .first()
    )
