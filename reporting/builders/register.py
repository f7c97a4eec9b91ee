"""The register export: the filtered incident register as CSV, XLSX and PDF.

A run's ``params`` are the register's filters exactly as query parameters (``reporting.filters``),
so the file holds what the register page showed the person who asked — the rows are read again
(``reporting.selectors.register_rows``) for the *requesting* user when the run executes: a
restricted incident they cannot see is not in their file.

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

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.spreadsheet import FORMULA_PREFIXES, neutralise  # noqa: F401 - re-exported
from capa.choices import RootCauseCategory
from incidents.choices import DetectionSource, HarmFlag, Kind, Status

from .. import permissions, selectors
from ..choices import ReportKind
from ..filters import describe_filters
from ..models import ReportRun
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

CHUNK_SIZE = 2000
# WeasyPrint lays out the whole document in memory: measured ~0.2 MB and ~15 ms a row (1,845
# rows: 27 s, 361 MB peak), so a PDF stays a document to read — about 40 pages at the cap.
PDF_MAX_ROWS = 1000
PDF_TIME_LIMIT_S = 120  # the cap's 1,000 rows take about 15 s
SPREADSHEET_TIME_LIMIT_S = 30 * 60  # a million rows of CSV or XLSX, with room to spare
STREAM_MAX_ROWS = 50_000  # synchronous API stream; larger selections run as a report run
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

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
    (gettext_lazy("CAPAs"), 24),
    (gettext_lazy("Root-cause category"), 24),
)


class ExportTooLarge(ApplicationError):
    code = "export_too_large"
    status_code = 400
    default_message = gettext_lazy("The filtered register is too large for this format.")


# --- rows --------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value else None


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


_KIND = dict(Kind.choices)
_STATUS = dict(Status.choices)
_SOURCE = dict(DetectionSource.choices)
_HARM = dict(HarmFlag.choices)
_CATEGORY = dict(RootCauseCategory.choices)


def row_values(row: Mapping) -> list:
    """One register row as typed cells: text, whole numbers, UTC datetimes, or None."""
    lead = (
        f"{row['lead__first_name']} {row['lead__last_name']}".strip() or row["lead__username"]
        if row["lead__username"]
        else ""
    )
    return [
        row["reference"],
        f"[EXERCISE] {row['title']}" if row["kind"] == "exercise" else row["title"],
        str(_KIND.get(row["kind"], row["kind"])).upper()
        if row["kind"] == "exercise"
        else str(_KIND.get(row["kind"], row["kind"])),
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
        ", ".join(row["capa_references"] or ()),
        str(_CATEGORY.get(row["root_cause_category"], row["root_cause_category"] or "")),
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


def file_name(fmt: str, at: datetime) -> str:
    return f"incident-register-{at.astimezone(UTC):%Y%m%d-%H%M}.{fmt}"


def _start(run: ReportRun) -> tuple[QuerySet, int]:
    """Re-check the requester may still export, and count what they see under the filters."""
    user = run.requested_by
    if not permissions.can_request(user, run.kind):
        raise PermissionRefused(_("Your role cannot export the register."))
    queryset = selectors.register_rows(user, run.params or {})
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
        file_name=file_name(fmt, timezone.now()),
        media_type=MEDIA_TYPES[fmt],
    )


@builder(ReportKind.REGISTER_CSV, soft_time_limit=SPREADSHEET_TIME_LIMIT_S)
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


@builder(ReportKind.REGISTER_XLSX, soft_time_limit=SPREADSHEET_TIME_LIMIT_S)
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
    "capas",
    "root_cause",
)


@builder(ReportKind.REGISTER_PDF, soft_time_limit=PDF_TIME_LIMIT_S)
def build_pdf(run: ReportRun, progress) -> BuiltFile:
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
    return _write_to_temp("pdf", lambda path: render_pdf(html, target=path))


def pdf_too_large_message(count: int) -> str:
    return _(
        "The filtered register has %(count)s incidents; a PDF export holds at most %(limit)s. "
        "Narrow the filters or use CSV/XLSX."
    ) % {"count": f"{count:,}", "limit": f"{PDF_MAX_ROWS:,}"}


# --- the synchronous CSV stream (the API's, for scripts) -----------------------------------------


class _Echo:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Mapping]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(_headings())
    for row in rows:
        yield writer.writerow(csv_cells(row_values(row)))
