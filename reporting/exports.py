"""Register exports: the filtered incident register as CSV, XLSX and PDF.

A run's ``params`` are the register's filters exactly as query parameters (the names of
``incidents.filters.IncidentFilter``), so the file holds what the register page showed the person
who asked — the queryset is rebuilt from ``incidents.selectors.register`` for the *requesting*
user when the run executes: a restricted incident they cannot see is not in their file.

Memory stays bounded whatever the register's size: rows are read as plain values with a
server-side cursor (``iterator(chunk_size=CHUNK_SIZE)``), the affected systems come in the same
query as an array subquery (no prefetch cache), every row is written straight to a temporary file
(xlsxwriter in ``constant_memory`` mode), and progress is recorded once per chunk. The PDF is for
reading, not for bulk: WeasyPrint lays out the whole document in memory, so it is capped at
``PDF_MAX_ROWS`` and a larger selection is refused with a message that says what to do instead.

Formula injection (OWASP "CSV injection"): titles, names and labels come from anyone who can file
an incident — monitors and the public channel included — so every text cell of the CSV and XLSX
that a spreadsheet would read as a formula (``= + - @``, a leading tab or carriage return) is
prefixed with ``'``; XLSX cells are written with ``write_string``, never as formulas. The PDF shows
the text as it was recorded (HTML-escaped): it is read, not recalculated.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef, QuerySet
from django.http import QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_filters.filters import MultipleChoiceFilter

from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from incidents import selectors as incident_selectors
from incidents.choices import DetectionSource, HarmFlag, Kind, Status
from incidents.filters import IncidentFilter
from incidents.forms import end_of_day
from incidents.models import AffectedSystem, Incident

from . import permissions, services
from .choices import ReportKind
from .models import ReportRun
from .services import BuiltFile, builder

CHUNK_SIZE = 2000
# WeasyPrint lays out the whole document in memory: measured ~0.2 MB and ~15 ms a row (1,845
# rows: 27 s, 361 MB peak), so a PDF stays a document to read — about 40 pages at the cap.
PDF_MAX_ROWS = 1000
STREAM_MAX_ROWS = 50_000  # synchronous API stream; larger selections run as a report run
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

FORMATS = {
    "csv": ReportKind.REGISTER_CSV,
    "xlsx": ReportKind.REGISTER_XLSX,
    "pdf": ReportKind.REGISTER_PDF,
}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX (Excel)", "pdf": "PDF"}
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

# The register's filters, by their query-parameter names; the multiple-choice ones may repeat.
FILTER_NAMES = tuple(IncidentFilter.base_filters)
MULTI_VALUE_FILTERS = frozenset(
    name
    for name, filt in IncidentFilter.base_filters.items()
    if isinstance(filt, MultipleChoiceFilter)
)

# (heading, XLSX column width). The order is the file's column order.
COLUMNS = (
    (gettext_lazy("Reference"), 16),
    (gettext_lazy("Title"), 50),
    (gettext_lazy("Kind"), 10),
    (gettext_lazy("Severity"), 9),
    (gettext_lazy("Status"), 14),
    (gettext_lazy("Detection source"), 24),
    (gettext_lazy("Detected at (UTC)"), 20),
    (gettext_lazy("Failure began at (UTC)"), 20),
    (gettext_lazy("Affected systems"), 24),
    (gettext_lazy("Lead"), 20),
    (gettext_lazy("Individuals affected (estimate)"), 14),
    (gettext_lazy("Individuals affected (confirmed)"), 14),
    (gettext_lazy("Harm flags"), 30),
    (gettext_lazy("Created at (UTC)"), 20),
)
_VALUE_FIELDS = (
    "reference",
    "title",
    "kind",
    "severity",
    "status",
    "detection_source",
    "detected_at",
    "failure_began_at",
    "system_references",
    "lead__first_name",
    "lead__last_name",
    "lead__username",
    "individuals_affected_estimate",
    "individuals_affected_confirmed",
    "harm_flags",
    "created_at",
)


class ExportTooLarge(ApplicationError):
    code = "export_too_large"
    status_code = 400
    default_message = gettext_lazy("The filtered register is too large for this format.")


# --- filters ---------------------------------------------------------------------------------


def filter_params(data, *, strict: bool = False) -> dict:
    """The register filters in ``data`` as a run's ``params``: known names only, empty values
    dropped, the multiple-choice filters as lists and the others as one string.

    ``data`` is a ``QueryDict`` (the register's query string, a form) or a plain mapping (API
    JSON, where a multiple-choice filter may be one value or a list). ``strict`` refuses names the
    register does not know — for the API, where a misspelt filter would silently export the
    whole register — instead of ignoring them (the page number of a register link).
    """
    params, errors = {}, {}
    for name in data:
        if name not in FILTER_NAMES:
            if strict:
                errors[name] = [
                    _("Unknown filter. The register's filters are: %s.") % ", ".join(FILTER_NAMES)
                ]
            continue
        raw = data.getlist(name) if hasattr(data, "getlist") else data[name]
        values = [
            str(v).strip()
            for v in (raw if isinstance(raw, list | tuple) else [raw])
            if v is not None
        ]
        values = [v for v in values if v]
        if not values:
            continue
        if name in MULTI_VALUE_FILTERS:
            params[name] = values
        elif len(values) > 1 and strict:
            errors[name] = [_("This filter takes one value.")]
        else:
            params[name] = values[-1]
    if errors:
        raise ValidationFailed(
            _("Unknown or repeated filters: %s.") % ", ".join(errors), fields=errors
        )
    return params


def _query_dict(params: Mapping) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in params.items():
        data.setlist(name, list(value) if isinstance(value, list | tuple) else [value])
    return data


def _bound_data(params: Mapping) -> QueryDict:
    """``params`` as the FilterSet reads them; an "until" date is inclusive, as on the register."""
    data = _query_dict(params)
    until = data.get("detected_before", "")
    if until and (bound := end_of_day(until)):
        data["detected_before"] = bound
    return data


def params_query(params: Mapping) -> str:
    """``params`` back as a query string, for a link to the register with the same filters."""
    return _query_dict(params).urlencode()


def _filterset(params: Mapping, queryset) -> IncidentFilter:
    filterset = IncidentFilter(_bound_data(params), queryset=queryset)
    if not filterset.is_valid():
        errors = {name: [str(e) for e in msgs] for name, msgs in filterset.errors.items()}
        raise ValidationFailed(
            "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items()), fields=errors
        )
    return filterset


def validate_filters(params: Mapping) -> None:
    """Raise ``ValidationFailed`` naming each filter whose value the register would refuse."""
    _filterset(params, Incident.objects.none())


def describe_filters(params: Mapping) -> list[tuple[str, str]]:
    """(label, value in words) per filter, for the PDF's heading and the export page."""
    if not params:
        return []
    form = IncidentFilter(_bound_data(params), queryset=Incident.objects.none()).form
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    described = []
    for name in FILTER_NAMES:
        if name not in params:
            continue
        field, raw = form.fields[name], params[name]
        values = raw if isinstance(raw, list | tuple) else [raw]
        if name == "system" and cleaned.get("system") is not None:
            text = str(cleaned["system"])
        elif name == "lead":
            lead = get_user_model().objects.filter(pk=raw).first() if str(raw).isdigit() else None
            text = str(lead) if lead else str(raw)
        elif getattr(field, "choices", None) and name != "system":
            labels = {str(value): str(label) for value, label in field.choices}
            text = ", ".join(labels.get(v, v) for v in values)
        else:
            text = ", ".join(values)
        described.append((str(field.label), text))
    return described


# --- rows --------------------------------------------------------------------------------------


def register_queryset(user, params: Mapping) -> QuerySet:
    """The register rows ``user`` sees under ``params``, as plain values in the register's order.

    Starts from ``incidents.selectors.register`` (so from ``incidents_visible_to``); drops its
    prefetch and reads the affected systems' references as an array in the same query, so
    iterating with a server-side cursor keeps nothing but the current chunk in memory.
    """
    qs = _filterset(params, incident_selectors.register(user)).qs
    if not qs.query.order_by:
        qs = qs.order_by("-detected_at", "-id")
    systems = ArraySubquery(
        AffectedSystem.objects.filter(incident=OuterRef("pk"))
        .order_by("system__reference")
        .values("system__reference")
    )
    return (
        qs.prefetch_related(None)
        .select_related(None)
        .annotate(system_references=systems)
        .values(*_VALUE_FIELDS)
    )


def neutralise(value) -> str:
    """The cell's text, made inert for spreadsheets when it would start a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value else None


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


_KIND = dict(Kind.choices)
_STATUS = dict(Status.choices)
_SOURCE = dict(DetectionSource.choices)
_HARM = dict(HarmFlag.choices)


def row_values(row: Mapping) -> list:
    """One register row as typed cells: text, whole numbers, UTC datetimes, or None."""
    lead = (
        f"{row['lead__first_name']} {row['lead__last_name']}".strip() or row["lead__username"]
        if row["lead__username"]
        else ""
    )
    return [
        row["reference"],
        row["title"],
        str(_KIND.get(row["kind"], row["kind"])),
        f"P{row['severity']}" if row["severity"] is not None else "",
        str(_STATUS.get(row["status"], row["status"])),
        str(_SOURCE.get(row["detection_source"], row["detection_source"] or "")),
        _utc(row["detected_at"]),
        _utc(row["failure_began_at"]),
        ", ".join(row["system_references"] or ()),
        lead,
        row["individuals_affected_estimate"],
        row["individuals_affected_confirmed"],
        "; ".join(str(_HARM.get(flag, flag)) for flag in row["harm_flags"] or ()),
        _utc(row["created_at"]),
    ]


def csv_cells(values: list) -> list[str]:
    return [_iso(v) if isinstance(v, datetime) else neutralise(v) for v in values]


def _headings() -> list[str]:
    return [str(heading) for heading, _width in COLUMNS]


def _rows(queryset: QuerySet, total: int, progress) -> Iterator[list]:
    """Typed rows, reporting ``progress(done, total)`` once per chunk and at the end."""
    done = 0
    progress(0, total)
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield row_values(row)
        done += 1
        if done % CHUNK_SIZE == 0:
            progress(done, max(total, done))
    progress(done, done)


# --- builders ----------------------------------------------------------------------------------


def _temp_file(suffix: str):
    folder = Path(tempfile.gettempdir()) / "aims-exports"
    folder.mkdir(exist_ok=True)
    return tempfile.NamedTemporaryFile(  # noqa: SIM115 - handed to _store, which reads it back
        delete=False, dir=folder, prefix="register-", suffix=suffix
    )


def _file_name(fmt: str, at: datetime) -> str:
    return f"incident-register-{at.astimezone(UTC):%Y%m%d-%H%M}.{fmt}"


def _start(run: ReportRun) -> tuple[QuerySet, int]:
    """Re-check the requester may still export, and count what they see under the filters."""
    user = run.requested_by
    if not permissions.can_request(user, run.kind):
        raise PermissionRefused(_("Your role cannot export the register."))
    queryset = register_queryset(user, run.params or {})
    return queryset, queryset.count()


def _write_to_temp(fmt: str, write) -> BuiltFile:
    handle = _temp_file(f".{fmt}")
    handle.close()
    try:
        write(handle.name)
    except BaseException:
        os.unlink(handle.name)
        raise
    return BuiltFile(
        content=None,
        path=handle.name,
        file_name=_file_name(fmt, timezone.now()),
        media_type=MEDIA_TYPES[fmt],
    )


@builder(ReportKind.REGISTER_CSV)
def build_csv(run: ReportRun, progress) -> BuiltFile:
    queryset, total = _start(run)

    def write(path):
        # utf-8-sig: the byte-order mark makes spreadsheet programs read the file as UTF-8.
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(_headings())
            for values in _rows(queryset, total, progress):
                writer.writerow(csv_cells(values))

    return _write_to_temp("csv", write)


@builder(ReportKind.REGISTER_XLSX)
def build_xlsx(run: ReportRun, progress) -> BuiltFile:
    import xlsxwriter

    queryset, total = _start(run)
    if total > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            _(
                "The filtered register has %(count)s incidents; a spreadsheet holds at most "
                "%(limit)s rows. Narrow the filters or export as CSV."
            )
            % {"count": f"{total:,}", "limit": f"{XLSX_MAX_ROWS:,}"}
        )

    def write(path):
        workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,  # each row goes to disk once the next one starts
                "tmpdir": str(Path(path).parent),
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        heading = workbook.add_format({"bold": True, "bg_color": "#E8ECF1", "bottom": 1})
        stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        sheet = workbook.add_worksheet(_("Register"))
        for col, (_heading, width) in enumerate(COLUMNS):
            sheet.set_column(col, col, width)
        sheet.freeze_panes(1, 0)
        for col, text in enumerate(_headings()):
            sheet.write_string(0, col, text, heading)
        row_number = 0
        for row_number, values in enumerate(_rows(queryset, total, progress), start=1):
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(row_number, col, value.replace(tzinfo=None), stamp)
                elif isinstance(value, int):
                    sheet.write_number(row_number, col, value)
                else:
                    sheet.write_string(row_number, col, neutralise(value))
        sheet.autofilter(0, 0, max(row_number, 1), len(COLUMNS) - 1)
        _about_sheet(workbook, heading, run, row_number)
        workbook.close()

    return _write_to_temp("xlsx", write)


def _about_sheet(workbook, heading, run: ReportRun, rows: int) -> None:
    """What produced the file: filters, requester, time and row count, for whoever reads it."""
    sheet = workbook.add_worksheet(_("About this export"))
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 60)
    lines = [
        (_("Incident register export"), ""),
        (_("Report run"), f"#{run.pk}"),
        (_("Generated at (UTC)"), _iso(timezone.now())),
        (_("Generated by"), str(run.requested_by)),
        (_("Incidents"), str(rows)),
        *(describe_filters(run.params or {}) or [(_("Filters"), _("none — the whole register"))]),
    ]
    for number, (label, value) in enumerate(lines):
        sheet.write_string(number, 0, neutralise(label), heading if number == 0 else None)
        sheet.write_string(number, 1, neutralise(value))


_PDF_KEYS = (
    "reference",
    "title",
    "kind",
    "severity",
    "status",
    "source",
    "detected",
    "began",
    "systems",
    "lead",
    "estimate",
    "confirmed",
    "harm",
    "created",
)


@builder(ReportKind.REGISTER_PDF)
def build_pdf(run: ReportRun, progress) -> BuiltFile:
    from weasyprint import HTML

    queryset, total = _start(run)
    if total > PDF_MAX_ROWS:
        raise ExportTooLarge(pdf_too_large_message(total))
    rows = [
        dict(
            zip(
                _PDF_KEYS,
                (_iso(v)[:16].replace("T", " ") if isinstance(v, datetime) else v for v in values),
                strict=True,
            )
        )
        for values in _rows(queryset, total, progress)
    ]
    generated_at = timezone.now()
    html = render_to_string(
        "reporting/register_export.html",
        {
            "rows": rows,
            "count": len(rows),
            "filters": describe_filters(run.params or {}),
            "run": run,
            "generated_at": f"{generated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
            "incident_label": str(Kind.INCIDENT.label),
            "generated_by": run.requested_by,
        },
    )
    return _write_to_temp("pdf", lambda path: HTML(string=html).write_pdf(path))


def pdf_too_large_message(count: int) -> str:
    return _(
        "The filtered register has %(count)s incidents; a PDF export holds at most %(limit)s. "
        "Narrow the filters or use CSV/XLSX."
    ) % {"count": f"{count:,}", "limit": f"{PDF_MAX_ROWS:,}"}


# --- starting an export ------------------------------------------------------------------------


def formats_for(user) -> list[tuple[str, str]]:
    """The formats ``user`` may export the register in, as (value, label)."""
    return [
        (fmt, FORMAT_LABELS[fmt])
        for fmt, kind in FORMATS.items()
        if permissions.can_request(user, kind)
    ]


@transaction.atomic
def export_request(*, actor, fmt: str, params: Mapping) -> ReportRun:
    """Record a register export run and queue it for a worker once the request commits.

    ``params`` are already normalised (``filter_params``); they are validated here as the
    register would validate them, and a PDF that would exceed its cap is refused now, not after
    a wait.
    """
    kind = FORMATS.get(fmt)
    if kind is None:
        raise ValidationFailed(
            _("Choose the format: csv, xlsx or pdf."), fields={"format": [_("Unknown format.")]}
        )
    if not permissions.can_request(actor, kind):
        raise PermissionRefused(_("Your role cannot export the register."))
    validate_filters(params)
    if kind == ReportKind.REGISTER_PDF:
        count = register_queryset(actor, params).count()
        if count > PDF_MAX_ROWS:
            raise ExportTooLarge(pdf_too_large_message(count), fields={"format": ["too_large"]})
    run = services.report_request(actor=actor, kind=kind, params=dict(params))
    services.report_queue(run)
    return run


# --- the synchronous CSV stream (API, for scripts) ----------------------------------------------


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Mapping]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(_headings())
    for row in rows:
        yield writer.writerow(csv_cells(row_values(row)))


def csv_stream_response(user, params: Mapping) -> StreamingHttpResponse:
    """The filtered register streamed as CSV while it is read; refused above ``STREAM_MAX_ROWS``
    (the worker would be held too long) with a pointer to the asynchronous export."""
    if not permissions.can_request(user, ReportKind.REGISTER_CSV):
        raise PermissionRefused(_("Your role cannot export the register."))
    queryset = register_queryset(user, params)
    count = queryset.count()
    if count > STREAM_MAX_ROWS:
        raise ExportTooLarge(
            _(
                "The filtered register has %(count)s incidents; a streamed export holds at most "
                "%(limit)s. Start an export with POST /api/v1/register-exports/ and download it "
                "when it is done, or narrow the filters."
            )
            % {"count": f"{count:,}", "limit": f"{STREAM_MAX_ROWS:,}"}
        )
    response = StreamingHttpResponse(
        csv_lines(queryset.iterator(chunk_size=CHUNK_SIZE)), content_type=MEDIA_TYPES["csv"]
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name("csv", timezone.now())}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Total-Count"] = str(count)
    return response


# --- HTML: "Export the register" -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request):
    """Choose the format for the register's current filters — carried in the query string from
    the register page, or as hidden fields when posted. Posting starts the run and shows its
    progress page, which offers the download when the file is ready."""
    formats = formats_for(request.user)
    if not formats:
        context = {"refusal": _("Your role cannot export the register.")}
        return render(request, "reporting/export_new.html", context, status=403)
    data = request.POST if request.method == "POST" else request.GET
    params = filter_params(data)
    context = {
        "export_formats": formats,
        "export_filters": [
            (name, value)
            for name, values in params.items()
            for value in (values if isinstance(values, list) else [values])
        ],
        "register_query": params_query(params),
        "chosen": data.get("format", "csv"),
        "pdf_max_rows": PDF_MAX_ROWS,
    }
    try:
        validate_filters(params)
    except ValidationFailed as exc:
        context.update(error=exc.message, filter_errors=exc.fields)
        return render(request, "reporting/export_new.html", context, status=400)
    count = register_queryset(request.user, params).count()
    context.update(
        filters=describe_filters(params), count=count, pdf_too_large=count > PDF_MAX_ROWS
    )
    if request.method == "POST":
        try:
            run = export_request(actor=request.user, fmt=context["chosen"], params=params)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "reporting/export_new.html", context, status=exc.status_code)
        return redirect("reporting:run-detail", run.pk)
    return render(request, "reporting/export_new.html", context)
