"""Report runs: request, execute under a lease with progress, store the file once with its SHA-256.

**One contract for requesting any report.** ``case_file_request``, ``register_export_request``,
``audit_sample_request`` and ``review_pack_request`` are ``<kind>_request(*, actor, **params)
-> ReportRun``, and all do the same, in one audited transaction (``_record``):

1. check that ``actor`` may request this report (``permissions``), then validate the parameters;
2. *coalesce*: a run of the same kind, parameters and requester that is still queued or running
   is returned instead of a new one (``run.coalesced`` is then True) — a double click, a retried
   API call or a polling script does not build the document twice;
3. *cap*: at most ``REPORT_RUNS_PER_USER`` queued or running runs per person; one more is
   refused with ``ReportRunLimitReached`` (429, with the seconds to wait);
4. record the run and queue it for a worker once the transaction commits.

**Execution under a lease.** ``report_execute`` claims the run (``RUNNING``, ``attempts + 1``,
a lease of ``LEASE``), builds it with the kind's builder (``reporting.registry``), renewing the
lease with every progress step, and stores the file outside the web root with its hash, so a copy
can later be checked against what the system produced. A run whose worker died stays RUNNING
until its lease expires; then the sweep (``reporting.tasks.sweep_queued``) hands it to a worker again,
at most ``MAX_ATTEMPTS`` times. The attempt number is the fencing token: a worker that outlived
its lease finds the run claimed again and its result is dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import time
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.services import audited_write, model_save

from . import filters, permissions, rules, selectors
from .builders import register as register_document
from .choices import ReportKind, RunStatus
from .models import ReportRun
from .registry import BuiltFile, builder_for

logger = logging.getLogger(__name__)
CHUNK = 1024 * 1024
LEASE = timedelta(minutes=5)  # longer than any builder goes between two progress steps
MAX_ATTEMPTS = 3
RETRY_AFTER_S = 30
WAIT_POLL_S = 0.25

# Register exports: the format a person chooses, and its kind of run.
EXPORT_FORMATS = {
    "csv": ReportKind.REGISTER_CSV,
    "xlsx": ReportKind.REGISTER_XLSX,
    "pdf": ReportKind.REGISTER_PDF,
}
EXPORT_FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX (Excel)", "pdf": "PDF"}


class ReportIntegrityFailed(ApplicationError):
    code = "report_integrity_failed"
    status_code = 409
    default_message = gettext_lazy(
        "The stored document no longer matches the SHA-256 recorded when it was generated."
    )


class ReportRunLimitReached(ApplicationError):
    code = "report_runs_limit"
    status_code = 429
    default_message = gettext_lazy("You have too many reports in progress.")
    retry_after = RETRY_AFTER_S


def runs_per_user() -> int:
    return int(getattr(settings, "REPORT_RUNS_PER_USER", 5))


# --- requesting a report --------------------------------------------------------------------------


def _record(*, actor, kind: str, params: dict, incident=None) -> ReportRun:
    """Steps 2–4 of the contract; the caller holds the audited transaction and has checked
    permission and parameters."""
    existing = selectors.run_identical(
        user=actor, kind=kind, params=params, incident_id=incident.pk if incident else None
    )
    if existing is not None:
        existing.coalesced = True
        return existing
    limit = runs_per_user()
    if selectors.active_runs_of(actor).count() >= limit:
        raise ReportRunLimitReached(
            _(
                "You already have %(limit)s reports queued or being generated. Wait until one "
                "of them is done (see Reports), then ask again."
            )
            % {"limit": limit}
        )
    run = model_save(
        ReportRun(kind=kind, params=params, incident=incident, requested_by=actor), actor=actor
    )
    run.coalesced = False
    report_queue(run)
    return run


def _refuse_unless_allowed(actor, kind: str, message: str) -> None:
    if not permissions.can_request(actor, kind):
        raise PermissionRefused(message)


@audited_write
def case_file_request(*, actor, incident) -> ReportRun:
    """The case file of ``incident``, which ``actor`` must be able to see."""
    _refuse_unless_allowed(actor, ReportKind.CASE_FILE, _("Your role cannot generate case files."))
    if not permissions.can_see_incident(actor, incident.pk):
        raise PermissionRefused(_("This incident does not exist or you cannot see it."))
    return _record(
        actor=actor, kind=ReportKind.CASE_FILE, params={"incident": incident.pk}, incident=incident
    )


def export_formats_for(user) -> list[tuple[str, str]]:
    """The formats ``user`` may export the register in, as (value, label)."""
    return [
        (fmt, EXPORT_FORMAT_LABELS[fmt])
        for fmt, kind in EXPORT_FORMATS.items()
        if permissions.can_request(user, kind)
    ]


@audited_write
def register_export_request(*, actor, fmt: str, params) -> ReportRun:
    """The filtered register in ``fmt`` (csv, xlsx, pdf). ``params`` are the register's filters,
    normalised (``filters.filter_params``); they are validated as the register would, and a PDF
    that would exceed its cap is refused now, not after a wait."""
    kind = EXPORT_FORMATS.get(fmt)
    if kind is None:
        raise ValidationFailed(
            _("Choose the format: csv, xlsx or pdf."), fields={"format": [_("Unknown format.")]}
        )
    _refuse_unless_allowed(actor, kind, _("Your role cannot export the incident register."))
    params = dict(params)
    filters.validate_filters(params)
    if kind == ReportKind.REGISTER_PDF:
        count = selectors.register_rows(actor, params).count()
        if count > register_document.PDF_MAX_ROWS:
            raise register_document.ExportTooLarge(
                register_document.pdf_too_large_message(count), fields={"format": ["too_large"]}
            )
    return _record(actor=actor, kind=kind, params=params)


@audited_write
def audit_sample_request(*, actor, data) -> ReportRun:
    """Validate an auditor's request, draw the sample and record the run.

    The draw is made now and kept in ``run.params`` with everything needed to repeat it: the
    bundle built later contains exactly what the auditor was shown. Without a seed one is
    generated (and recorded), so two unseeded requests are two different draws.
    """
    _refuse_unless_allowed(
        actor, ReportKind.AUDIT_SAMPLE, _("Your role cannot draw audit samples.")
    )
    serializer = filters.AuditSampleParamsSerializer(data=data)
    if not serializer.is_valid():
        raise filters.validation_failed(serializer.errors)
    validated = serializer.validated_data
    sample_filters = filters.sample_filters(validated)
    seed = validated.get("seed")
    seed_generated = seed is None
    if seed_generated:
        seed = secrets.randbelow(2**31)
    size = validated["size"]
    drawn = selectors.sample_draw(actor=actor, filters=sample_filters, size=size, seed=seed)
    if not drawn.population_size:
        raise ValidationFailed(
            _(
                "No incident you can see matches these filters, so there is nothing to sample. "
                "Widen the period or remove a filter."
            )
        )
    params = {
        "filters": sample_filters,
        "size": size,
        "seed": seed,
        "seed_generated": seed_generated,
        "population_size": drawn.population_size,
        "population_sha256": drawn.population_sha256,
        "drawn": drawn.references,
        "incident_ids": drawn.incident_ids,
    }
    return _record(actor=actor, kind=ReportKind.AUDIT_SAMPLE, params=params)


@audited_write
def review_pack_request(*, actor, start=None, end=None) -> ReportRun:
    """The management-review pack of ``[start, end)`` (dates or ``YYYY-MM-DD``; the last 90
    days when both are missing)."""
    _refuse_unless_allowed(
        actor,
        ReportKind.REVIEW_PACK,
        _("Your role cannot generate the management-review pack."),
    )
    period = rules.parse_period(start, end)
    return _record(actor=actor, kind=ReportKind.REVIEW_PACK, params=period.as_params())


RISK_EXPORT_FORMATS = {"csv": ReportKind.RISK_REGISTER_CSV, "xlsx": ReportKind.RISK_REGISTER_XLSX}


@audited_write
def risk_register_export_request(*, actor, fmt: str, params: dict) -> ReportRun:
    """The filtered risk register in ``fmt`` (csv, xlsx); ``params`` are the register's filters
    (query parameter -> values), validated now as the register page would."""
    from risk.permissions import can_export_register

    from .builders import risk as risk_document

    kind = RISK_EXPORT_FORMATS.get(fmt)
    if kind is None:
        raise ValidationFailed(
            _("Choose the format: csv or xlsx."), fields={"format": [_("Unknown format.")]}
        )
    decision = can_export_register(actor)
    if not decision:
        raise PermissionRefused(decision.message)
    return _record(actor=actor, kind=kind, params=risk_document.validate_params(params))


CAPA_EXPORT_FORMATS = {"csv": ReportKind.CAPA_REGISTER_CSV, "xlsx": ReportKind.CAPA_REGISTER_XLSX}


@audited_write
def capa_register_export_request(*, actor, fmt: str, params: dict) -> ReportRun:
    """The filtered CAPA register in ``fmt`` (csv, xlsx); ``params`` are the register's filters
    (query parameter -> values), validated now as the register page would."""
    from capa.permissions import can_export_capas

    from .builders import capa_register

    kind = CAPA_EXPORT_FORMATS.get(fmt)
    if kind is None:
        raise ValidationFailed(
            _("Choose the format: csv or xlsx."), fields={"format": [_("Unknown format.")]}
        )
    decision = can_export_capas(actor)
    if not decision:
        raise PermissionRefused(decision.message)
    return _record(actor=actor, kind=kind, params=capa_register.validate_params(params))


@audited_write
def soa_request(*, actor) -> ReportRun:
    """The Statement of Applicability with its evidence and the heat maps, as a PDF."""
    from risk.permissions import can_read_soa

    decision = can_read_soa(actor)
    if not decision:
        raise PermissionRefused(decision.message)
    return _record(actor=actor, kind=ReportKind.SOA_PDF, params={})


def report_queue(run: ReportRun) -> None:
    """Hand a run to a worker after commit. When the broker is down the run stays queued and the
    sweep (``reporting.tasks.sweep_queued``) picks it up."""
    from .tasks import dispatch

    transaction.on_commit(lambda: dispatch(run.pk, run.kind))


def report_wait(run: ReportRun, *, timeout_s: float) -> ReportRun:
    """Wait up to ``timeout_s`` for a worker to finish ``run`` (read-only polling, for the API
    that answers a small document directly); returns the run as it then is."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = ReportRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
        if status in (RunStatus.DONE, RunStatus.FAILED) or time.monotonic() >= deadline:
            break
        time.sleep(min(WAIT_POLL_S, max(0.0, deadline - time.monotonic())))
    run.refresh_from_db()
    return run


# --- executing a run ----------------------------------------------------------------------------


def report_progress(run: ReportRun, done: int, total: int) -> None:
    """Progress and the lease's renewal are bookkeeping, not a record: written with update() and
    no history, and only while the run is still this attempt's."""
    lease = timezone.now() + LEASE
    ReportRun.objects.filter(pk=run.pk, attempts=run.attempts, status=RunStatus.RUNNING).update(
        progress_done=done, progress_total=total, lease_expires_at=lease
    )
    run.progress_done, run.progress_total, run.lease_expires_at = done, total, lease


def _hash_file(fileobj) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: fileobj.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@audited_write
def _claim(run_id: int) -> tuple[ReportRun, bool]:
    """Take the run for this worker: a queued run, or a running one whose lease has expired.
    Returns (run, claimed); a finished run, or one leased to another worker, is left alone."""
    run = ReportRun.objects.select_for_update().select_related("requested_by").get(pk=run_id)
    now = timezone.now()
    if run.status in (RunStatus.DONE, RunStatus.FAILED):
        return run, False
    if run.status == RunStatus.RUNNING and run.lease_expires_at and run.lease_expires_at > now:
        return run, False
    if run.attempts >= MAX_ATTEMPTS:
        run.status, run.finished_at, run.lease_expires_at = RunStatus.FAILED, now, None
        run.message = _(
            "Generation stopped %(count)s times before it finished (the worker was stopped or "
            "ran out of memory). Ask for a smaller report, or ask an administrator to look at "
            "the worker's log."
        ) % {"count": run.attempts}
        return model_save(run, actor=run.requested_by), False
    if builder_for(run.kind) is None:
        run.status, run.finished_at = RunStatus.FAILED, now
        run.message = f"no builder for {run.kind}"
        return model_save(run, actor=run.requested_by), False
    run.status, run.attempts, run.lease_expires_at = (
        RunStatus.RUNNING,
        run.attempts + 1,
        now + LEASE,
    )
    return model_save(run, actor=run.requested_by), True


@audited_write
def _finish(run: ReportRun, *, built: BuiltFile | None = None, message: str = "") -> ReportRun:
    """Store the document (or record the failure) — if the run is still this attempt's."""
    current = ReportRun.objects.select_for_update().get(pk=run.pk)
    if current.status != RunStatus.RUNNING or current.attempts != run.attempts:
        logger.warning("report run %s was taken over; attempt %s dropped", run.pk, run.attempts)
        return current
    if built is None:
        current.status, current.message = RunStatus.FAILED, message
    else:
        if built.path:
            with open(built.path, "rb") as handle:
                sha256, size = _hash_file(handle)
                handle.seek(0)
                current.file.save(built.file_name, File(handle), save=False)
        else:
            sha256, size = hashlib.sha256(built.content).hexdigest(), len(built.content)
            current.file.save(built.file_name, ContentFile(built.content), save=False)
        current.file_name, current.media_type = built.file_name, built.media_type
        current.sha256, current.size = sha256, size
        current.status = RunStatus.DONE
        current.progress_done = current.progress_total = max(run.progress_total, 1)
    current.finished_at, current.lease_expires_at = timezone.now(), None
    return model_save(current, actor=current.requested_by)


def report_execute(run_id: int) -> ReportRun:
    """Build the document of a run. Safe to call twice: a finished run, or one another worker
    holds the lease of, is left alone."""
    run, claimed = _claim(run_id)
    if not claimed:
        return run
    entry = builder_for(run.kind)
    try:
        built = entry.build(run, lambda done, total: report_progress(run, done, total))
    except SoftTimeLimitExceeded:
        return _finish(
            run,
            message=_(
                "Generation took longer than its limit of %(seconds)s seconds and was stopped. "
                "Ask for a smaller report (fewer incidents or a shorter period)."
            )
            % {"seconds": entry.soft_time_limit},
        )
    except ApplicationError as exc:
        return _finish(run, message=exc.message)
    except Exception as exc:
        logger.exception("report run %s failed", run.pk)
        return _finish(run, message=f"Generation failed: {exc.__class__.__name__}")
    try:
        return _finish(run, built=built)
    finally:
        if built.path:  # the builder's temporary file: stored now, or the store failed
            with contextlib.suppress(OSError):
                os.unlink(built.path)


# --- reading a finished run ---------------------------------------------------------------------


def report_open(*, actor, run: ReportRun):
    """Open a finished run's file after re-checking its SHA-256."""
    if run.status != RunStatus.DONE or not run.file:
        raise ValidationFailed(_("This report is not ready yet (%s).") % run.get_status_display())
    with run.file.open("rb") as handle:
        sha256, _size = _hash_file(handle)
    if sha256 != run.sha256:
        raise ReportIntegrityFailed()
    return run.file.open("rb")


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


@audited_write
def disclosure_draft_request(*, actor, communication) -> ReportRun:
    """A regulatory report draft (a communication drafted for an obligation) as a PDF, which
    ``actor`` must be able to see; a worker renders it."""
    from .builders.disclosure_draft import draft_communication

    _refuse_unless_allowed(
        actor, ReportKind.DISCLOSURE_DRAFT, _("Your role cannot generate report drafts.")
    )
    communication = draft_communication(actor, communication.pk)
    return _record(
        actor=actor,
        kind=ReportKind.DISCLOSURE_DRAFT,
        params={"communication": communication.pk},
        incident=communication.incident,
    )


@audited_write
def system_trail_request(*, actor, system) -> ReportRun:
    """The evidence trail of ``system`` (which ``actor`` must be able to read) as a PDF."""
    from .builders.trail import trail_system

    _refuse_unless_allowed(
        actor,
        ReportKind.SYSTEM_TRAIL_PDF,
        _("Your role cannot read evidence trails."),
    )
    system = trail_system(actor, system.pk)
    return _record(actor=actor, kind=ReportKind.SYSTEM_TRAIL_PDF, params={"system": system.pk})


@audited_write
def procedure_request(*, actor, document) -> ReportRun:
    """The AI incident-management procedure generated from the live configuration: a worker
    builds the PDF and records it as a draft version of ``document``."""
    from .builders.procedure import procedure_document

    _refuse_unless_allowed(
        actor,
        ReportKind.INCIDENT_PROCEDURE_PDF,
        _("Only GRC staff and the AI risk officer generate the incident-management procedure."),
    )
    document = procedure_document(actor, document.pk)
    return _record(
        actor=actor, kind=ReportKind.INCIDENT_PROCEDURE_PDF, params={"document": document.pk}
    )
