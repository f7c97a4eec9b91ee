"""Register exports: CSV, XLSX and PDF read back; filters, visibility, formula neutralisation,
progress, bounded memory, who may export (HTML and API), and the API's answers."""

import csv
import io
import os
import re
import subprocess
import tempfile
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from incidents import services as incident_services
from incidents.choices import Status
from incidents.models import AffectedSystem, Incident
from incidents.tests.factories import file_incident
from reporting import services
from reporting.builders import register as exports
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun

pytestmark = pytest.mark.django_db

EXPORTS_API = "/api/v1/register-exports/"
NEW_EXPORT = "/reports/exports/new/"
DANGEROUS = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)"]
ALLOWED = ["grc", "risk_officer", "auditor", "executive", "dpo", "legal", "ciso"]
REFUSED = ["engineer", "ethics"]


# --- data -------------------------------------------------------------------------------------


@pytest.fixture
def register(users, make_system):
    """Incidents filed through the real services: two systems, severities, a near miss, a
    triaged one, titles that a spreadsheet would run as formulas, and a restricted one."""
    grc = users["grc"]
    loans = make_system(name="Loan scorer")
    ranker = make_system(name="Ranker")
    now = timezone.now()
    loan = file_incident(
        grc,
        systems=[loans],
        title="Loan model rejects valid postcodes",
        severity=1,
        severity_reason="Many applicants",
        detected_at=now - timedelta(days=3),
        failure_began_at=now - timedelta(days=4),
        individuals_affected_estimate=120,
        harm_flags=["personal_data_breach"],
    )
    loan = incident_services.incident_transition(
        actor=grc, incident=loan, to=Status.TRIAGED, reason="Triaged in the morning call."
    )
    incident_services.incident_assign_lead(actor=grc, incident=loan, lead=users["risk_officer"])
    latency = file_incident(
        grc,
        systems=[ranker],
        title="Ranker latency",
        kind="near_miss",
        detection_source="downstream_metric",
        severity=3,
        severity_reason="No user impact",
        detected_at=now - timedelta(days=2),
    )
    formulas = [
        file_incident(grc, systems=[loans, ranker], title=title, severity=2, severity_reason="Test")
        for title in DANGEROUS
    ]
    restricted = file_incident(
        grc, systems=[loans], title="Staff misuse under legal privilege", restricted=True
    )
    return {
        "grc": grc,
        "loans": loans,
        "ranker": ranker,
        "loan": loan,
        "latency": latency,
        "formulas": formulas,
        "restricted": restricted,
    }


def run_export(user, fmt, params=None) -> ReportRun:
    """Request the export as ``user`` and execute it inline (the queue never fires: the test's
    transaction does not commit)."""
    run = services.register_export_request(actor=user, fmt=fmt, params=params or {})
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    return run


def file_bytes(run) -> bytes:
    with services.report_open(actor=run.requested_by, run=run) as handle:
        return handle.read()


# --- reading the files back ---------------------------------------------------------------------


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def xlsx_sheet_xml(data: bytes, number: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(f"xl/worksheets/sheet{number}.xml").decode()


def xlsx_rows(data: bytes, number: int = 1) -> list[list]:
    """The cells of one sheet, without any spreadsheet library: inline and shared strings as
    text, numbers as floats."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        shared = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root]
        sheet = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{number}.xml"))
    rows = []
    for row in sheet.iterfind("m:sheetData/m:row", NS):
        cells = {}
        for cell in row.iterfind("m:c", NS):
            kind, value = cell.get("t"), cell.find("m:v", NS)
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            elif kind == "s":
                text = shared[int(value.text)]
            elif kind == "str":
                text = value.text
            else:
                text = float(value.text) if value is not None else None
            cells[_column_index(cell.get("r"))] = text
        rows.append([cells.get(i) for i in range(max(cells, default=-1) + 1)])
    return rows


def pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(
            ["pdftotext", "-layout", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout


def references(fmt: str, data: bytes) -> set[str]:
    if fmt == "csv":
        return {row[0] for row in csv_rows(data)[1:]}
    if fmt == "xlsx":
        return {row[0] for row in xlsx_rows(data)[1:]}
    return set(re.findall(r"INC-\d{4}-\d{4,}", pdf_text(data)))


# --- content ----------------------------------------------------------------------------------


def test_csv_has_the_register_columns_and_values(register):
    run = run_export(register["grc"], "csv")
    assert run.kind == ReportKind.REGISTER_CSV
    assert run.file_name.startswith("incident-register-") and run.file_name.endswith(".csv")
    assert run.media_type.startswith("text/csv")
    rows = csv_rows(file_bytes(run))
    assert rows[0] == [
        "Reference",
        "Title",
        "Kind",
        "Severity",
        "Status",
        "Detection source",
        "Detected at (UTC)",
        "Failure began at (UTC)",
        "Affected systems",
        "Lead",
        "Individuals affected (estimate)",
        "Individuals affected (confirmed)",
        "Harm flags",
        "Created at (UTC)",
        "CAPAs",
        "Root-cause category",
    ]
    assert len(rows) == 1 + 7  # every incident GRC sees, the restricted one included
    loan = register["loan"]
    row = next(r for r in rows if r[0] == loan.reference)
    assert row[1:6] == [
        "Loan model rejects valid postcodes",
        "Incident",
        "P1",
        "Triaged",
        "Automated monitoring alert",
    ]
    detected = datetime.fromisoformat(row[6])
    assert detected.utcoffset() == timedelta(0)
    assert detected == loan.detected_at.replace(microsecond=0)
    assert datetime.fromisoformat(row[7]) == loan.failure_began_at.replace(microsecond=0)
    assert row[8] == register["loans"].reference
    assert row[9] == "risk_officer"
    assert row[10:13] == ["120", "", "Personal-data breach"]
    assert datetime.fromisoformat(row[13]).utcoffset() == timedelta(0)
    two_systems = next(r for r in rows if r[0] == register["formulas"][0].reference)
    assert two_systems[8] == ", ".join(
        sorted([register["loans"].reference, register["ranker"].reference])
    )
    # Newest first, as the register lists them.
    detected_order = [datetime.fromisoformat(r[6]) for r in rows[1:]]
    assert detected_order == sorted(detected_order, reverse=True)


def test_xlsx_is_a_frozen_filtered_sheet_with_typed_cells(register):
    run = run_export(register["grc"], "xlsx")
    assert run.file_name.endswith(".xlsx")
    data = file_bytes(run)
    rows = xlsx_rows(data)
    assert rows[0][:3] == ["Reference", "Title", "Kind"] and len(rows[0]) == 16
    assert len(rows) == 1 + 7
    loan = next(r for r in rows if r[0] == register["loan"].reference)
    assert loan[1:6] == [
        "Loan model rejects valid postcodes",
        "Incident",
        "P1",
        "Triaged",
        "Automated monitoring alert",
    ]
    assert loan[10] == 120.0  # a number, not text
    # Datetimes are real spreadsheet dates (days since 1899-12-30), in UTC.
    detected = datetime(1899, 12, 30, tzinfo=UTC) + timedelta(days=loan[6])
    assert abs(detected - register["loan"].detected_at) < timedelta(seconds=1)
    sheet = xlsx_sheet_xml(data)
    assert '<pane ySplit="1"' in sheet and 'state="frozen"' in sheet
    assert f'<autoFilter ref="A1:P{len(rows)}"/>' in sheet
    assert "<cols>" in sheet and 'width="50.7109375"' in sheet  # the title column is wide
    about = xlsx_rows(data, number=2)
    assert ["Generated by", "grc"] in about
    assert ["Incidents", "7"] in about


def test_pdf_reads_back_with_filters_user_and_page_numbers(register):
    run = run_export(register["grc"], "pdf", {"severity": ["1", "3"]})
    assert run.media_type == "application/pdf" and run.file_name.endswith(".pdf")
    text = pdf_text(file_bytes(run))
    assert register["loan"].reference in text and register["latency"].reference in text
    assert "Loan model rejects valid postcodes" in text
    assert "Severity: P1 — high, P3 — low" in text
    assert "2 incidents" in text
    assert "by grc" in text
    assert re.search(r"Page 1 of 1\b", text)
    assert f"report run #{run.pk}" in text


def test_pdf_repeats_the_header_row_on_every_page(register, users):
    grc = users["grc"]
    for n in range(60):
        file_incident(grc, title=f"Routine drift alert number {n}", severity=3, severity_reason="x")
    text = pdf_text(file_bytes(run_export(grc, "pdf")))
    pages = text.split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) >= 2
    assert re.search(rf"Page {len(pages)} of {len(pages)}\b", pages[-1])
    for page in pages:
        assert "Reference" in page and "Title" in page and "Harm flags" in page


# --- filters and visibility ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_filters_are_honoured(register, fmt):
    grc = register["grc"]
    loan, latency = register["loan"], register["latency"]
    assert references(fmt, file_bytes(run_export(grc, fmt, {"status": ["triaged"]}))) == {
        loan.reference
    }
    assert references(fmt, file_bytes(run_export(grc, fmt, {"severity": ["3"]}))) == {
        latency.reference
    }
    by_system = references(
        fmt, file_bytes(run_export(grc, fmt, {"system": str(register["ranker"].pk)}))
    )
    assert by_system == {latency.reference} | {i.reference for i in register["formulas"]}
    assert references(fmt, file_bytes(run_export(grc, fmt, {"q": "latency"}))) == {
        latency.reference
    }
    assert references(fmt, file_bytes(run_export(grc, fmt, {"q": loan.reference}))) == {
        loan.reference
    }


def test_more_filters_match_the_register(register, client):
    grc = register["grc"]
    params = {"kind": "near_miss", "detection_source": ["downstream_metric"], "state": "open"}
    assert references("csv", file_bytes(run_export(grc, "csv", params))) == {
        register["latency"].reference
    }
    day = (timezone.now() - timedelta(days=3)).date().isoformat()
    # An "until" date includes the whole day, as on the register page.
    until = references("csv", file_bytes(run_export(grc, "csv", {"detected_before": day})))
    assert until == {register["loan"].reference}
    ordered = csv_rows(file_bytes(run_export(grc, "csv", {"ordering": "severity"})))
    severities = [row[3] for row in ordered[1:] if row[3]]
    assert severities == sorted(severities)
    # The system filter joins (DISTINCT) and status sorts in lifecycle order, not alphabetically.
    params = {"system": str(register["loans"].pk), "ordering": "-status"}
    statuses = [row[4] for row in csv_rows(file_bytes(run_export(grc, "csv", params)))[1:]]
    assert statuses == ["Triaged"] + ["Reported"] * 5


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_restricted_incident_not_visible_to_the_exporter_is_not_in_the_file(register, users, fmt):
    risk_officer = users["risk_officer"]
    run = run_export(risk_officer, fmt)
    got = references(fmt, file_bytes(run))
    assert register["restricted"].reference not in got
    assert register["loan"].reference in got and len(got) == 6
    if fmt == "csv":
        assert b"Staff misuse" not in file_bytes(run)


def test_the_run_rebuilds_the_register_as_the_requester_sees_it(register, users):
    """A run queued by the risk officer never contains what only GRC sees, whoever executes it."""
    run = services.register_export_request(actor=users["risk_officer"], fmt="csv", params={})
    run = services.report_execute(run.pk)
    assert register["restricted"].reference not in references("csv", file_bytes(run))


# --- formula injection --------------------------------------------------------------------------


def test_neutralise():
    for dangerous in [*DANGEROUS, "\tx", "\rx"]:
        assert exports.neutralise(dangerous) == "'" + dangerous
    assert exports.neutralise("Plain - title") == "Plain - title"
    assert exports.neutralise(None) == ""


def test_csv_cells_are_neutralised(register):
    rows = csv_rows(file_bytes(run_export(register["grc"], "csv")))
    titles = {row[1] for row in rows[1:]}
    for dangerous in DANGEROUS:
        assert "'" + dangerous in titles
        assert dangerous not in titles


def test_xlsx_cells_are_neutralised_strings_never_formulas(register):
    data = file_bytes(run_export(register["grc"], "xlsx"))
    titles = {row[1] for row in xlsx_rows(data)[1:]}
    for dangerous in DANGEROUS:
        assert "'" + dangerous in titles
    assert "<f>" not in xlsx_sheet_xml(data) and "<f " not in xlsx_sheet_xml(data)


def test_pdf_shows_the_recorded_text_escaped(register, users):
    """A PDF is read, not recalculated: it shows the title as recorded, and markup as text."""
    file_incident(
        users["grc"], title="<b>bold</b> & <script>x</script>", severity=2, severity_reason="x"
    )
    text = pdf_text(file_bytes(run_export(register["grc"], "pdf")))
    for dangerous in DANGEROUS:
        assert dangerous in text
    assert "<b>bold</b> & <script>x</script>" in text


def test_filters_shown_in_the_xlsx_about_sheet_are_neutralised(register):
    data = file_bytes(run_export(register["grc"], "xlsx", {"q": "=cmd"}))
    assert ["Search", "'=cmd"] in xlsx_rows(data, number=2)


# --- progress, queue, limits ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_progress_total_is_the_row_count(register, fmt, monkeypatch):
    made = []
    real_temp_file = exports._temp_file
    monkeypatch.setattr(
        exports, "_temp_file", lambda suffix: made.append(real_temp_file(suffix)) or made[-1]
    )
    run = run_export(register["grc"], fmt, {"system": str(register["loans"].pk)})
    assert len(made) == 1 and not os.path.exists(made[0].name)  # stored, then removed
    assert run.progress_total == run.progress_done == 6
    assert run.percent == 100
    assert run.sha256 and run.size == len(file_bytes(run))


def test_pdf_is_capped_with_a_clear_message(register, monkeypatch, api_client_for):
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 2)
    grc = register["grc"]
    response = api_client_for(grc).post(EXPORTS_API, {"format": "pdf"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "export_too_large"
    assert "Narrow the filters or use CSV/XLSX" in response.json()["message"]
    # Within the cap the same user gets the PDF.
    assert run_export(grc, "pdf", {"severity": ["1"]}).status == RunStatus.DONE
    # The builder checks again when it runs (the register may have grown since the request).
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 7)
    run = services.register_export_request(actor=grc, fmt="pdf", params={})
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 2)
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.FAILED
    assert "7 incidents" in run.message and "use CSV/XLSX" in run.message
    assert not run.file


def test_requester_who_lost_the_role_gets_a_failed_run(register, users):
    from aims.accounts.services import user_upsert_with_role

    auditor = users["auditor"]
    run = services.register_export_request(actor=auditor, fmt="csv", params={})
    user_upsert_with_role(username=auditor.username, role="engineer")
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.FAILED
    assert "cannot export" in run.message


def test_the_export_is_queued_after_commit(register, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.register_export_request(
            actor=register["grc"], fmt="xlsx", params={"q": "loan"}
        )
    assert len(callbacks) == 1
    assert run.status == RunStatus.QUEUED and run.params == {"q": "loan"}


@pytest.mark.django_db(transaction=True)
def test_html_export_runs_through_the_real_queue(users, make_system, client):
    """POST from the page, the task published after commit (eager here), then the run page
    offers the download."""
    from aims.celery import app

    grc = users["grc"]
    file_incident(
        grc, systems=[make_system()], title="Queued export", severity=1, severity_reason="x"
    )
    client.force_login(users["auditor"])
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        response = client.post(NEW_EXPORT, {"format": "csv", "severity": "1"})
    finally:
        app.conf.task_always_eager = eager
    run = ReportRun.objects.get(requested_by=users["auditor"])
    assert response.status_code == 302 and response["Location"] == f"/reports/runs/{run.pk}/"
    assert run.status == RunStatus.DONE and run.params == {"severity": ["1"]}
    page = client.get(response["Location"]).content.decode()
    assert f"/reports/runs/{run.pk}/download/" in page
    download = client.get(f"/reports/runs/{run.pk}/download/")
    body = b"".join(download.streaming_content)
    assert "Queued export" in body.decode("utf-8-sig")


# --- bounded memory ------------------------------------------------------------------------------


def _bulk_incidents(count: int) -> None:
    """``count`` benchmark-style incidents (no audit history), each on one system, made in two
    SQL statements by copying a template row: seconds, not the minute ``bulk_create`` takes."""
    from bench.generate import ensure_base

    owner, system_ids = ensure_base(systems=20)
    template = Incident.objects.bulk_create(
        [
            Incident(
                reference="INC-M0000000",
                title="Generated incident 0 with a realistic title length of some words",
                description="generated",
                severity=0,
                status="triaged",
                detection_source="monitoring",
                detected_at=timezone.now(),
                reported_by=owner,
            )
        ]
    )[0]
    link = AffectedSystem.objects.bulk_create(
        [AffectedSystem(incident=template, system_id=system_ids[0])]
    )[0]
    computed = {
        "reference": "'INC-M' || lpad(g::text, 7, '0')",
        "title": "'Generated incident ' || g || ' with a realistic title length of some words'",
        "severity": "mod(g, 4)",
        "detected_at": "t.detected_at - g * interval '1 minute'",
        "harm_flags": "CASE WHEN mod(g, 7) = 0 THEN ARRAY['phi']::varchar(30)[] ELSE t.harm_flags END",
    }
    columns = [
        f.column for f in Incident._meta.concrete_fields if not (f.primary_key or f.generated)
    ]
    table = Incident._meta.db_table
    link_columns = [f.column for f in AffectedSystem._meta.concrete_fields if not f.primary_key]
    link_values = {
        "incident_id": "i.id",
        "system_id": f"(ARRAY{list(system_ids)}::bigint[])[1 + mod(i.id, {len(system_ids)})]",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - test data, no input
            f"SELECT {', '.join(computed.get(c, f't.{c}') for c in columns)} "
            f"FROM {table} t, generate_series(1, %s) g WHERE t.id = %s",
            [count - 1, template.pk],
        )
        cursor.execute(
            f"INSERT INTO {AffectedSystem._meta.db_table} ({', '.join(link_columns)}) "  # noqa: S608
            f"SELECT {', '.join(link_values.get(c, f'a.{c}') for c in link_columns)} "
            f"FROM {AffectedSystem._meta.db_table} a, {table} i "
            f"WHERE a.id = %s AND i.reference LIKE 'INC-M%%' AND i.id <> %s",
            [link.pk, template.pk],
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_stays_bounded_for_a_large_register(users, monkeypatch, fmt):
    count = 20_000
    _bulk_incidents(count)
    calls = []
    real_progress = services.report_progress
    monkeypatch.setattr(
        services,
        "report_progress",
        lambda run, done, total: (calls.append(done), real_progress(run, done, total)),
    )
    run = services.register_export_request(actor=users["grc"], fmt=fmt, params={})
    tracemalloc.start()
    try:
        run = services.report_execute(run.pk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert run.status == RunStatus.DONE, run.message
    assert run.progress_total == count
    assert calls == [0, *range(2000, count + 1, 2000), count]  # once per chunk
    # Measured: about 3 MB whatever the size; the rows held in memory would be well over 50 MB.
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    data = file_bytes(run)
    rows = csv_rows(data) if fmt == "csv" else None
    if rows is not None:
        assert len(rows) == count + 1
    else:
        assert f'<autoFilter ref="A1:P{count + 1}"/>' in xlsx_sheet_xml(data)


# --- who may export: HTML -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_html_export_page_for_allowed_roles(register, users, client, role):
    client.force_login(users[role])
    response = client.get(f"{NEW_EXPORT}?severity=1&severity=3&page=2")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export the register" in page
    assert '<input type="hidden" name="severity" value="1">' in page
    assert '<input type="hidden" name="severity" value="3">' in page
    assert 'name="page"' not in page  # the register's page number is not a filter
    assert "2 incidents match these filters." in page
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'value="{fmt}"' in page
    response = client.post(NEW_EXPORT, {"format": "xlsx", "severity": ["1", "3"]})
    run = ReportRun.objects.get(requested_by=users[role])
    assert response.status_code == 302
    assert response["Location"] == f"/reports/runs/{run.pk}/"
    assert (run.kind, run.params, run.status) == (
        ReportKind.REGISTER_XLSX,
        {"severity": ["1", "3"]},
        RunStatus.QUEUED,
    )


@pytest.mark.parametrize("role", REFUSED)
def test_html_export_refused_for_other_roles(register, users, client, role):
    client.force_login(users[role])
    response = client.get(NEW_EXPORT)
    assert response.status_code == 403
    assert "cannot export the incident register" in response.content.decode()
    response = client.post(NEW_EXPORT, {"format": "csv"})
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


def test_html_export_page_names_a_bad_filter(register, users, client):
    client.force_login(users["auditor"])
    response = client.get(f"{NEW_EXPORT}?status=bogus")
    assert response.status_code == 400
    assert "status:" in response.content.decode()
    response = client.post(NEW_EXPORT, {"format": "docx"})
    assert response.status_code == 400
    assert "Choose the format" in response.content.decode()
    assert not ReportRun.objects.exists()


def test_html_pdf_choice_is_disabled_above_the_cap(register, users, client, monkeypatch):
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 2)
    client.force_login(users["auditor"])
    page = client.get(NEW_EXPORT).content.decode()
    assert re.search(r'value="pdf"[^>]*disabled', page)
    assert "narrow the filters or use CSV/XLSX" in page


@pytest.mark.parametrize(
    ("role", "shown"),
    [("auditor", True), ("executive", True), ("engineer", False), ("ethics", False)],
)
def test_reports_page_partial_offers_the_form_to_exporters_only(users, role, shown):
    request = RequestFactory().get("/reports/")
    request.user = users[role]
    html = render_to_string(
        "reporting/_exports_actions.html",
        {"export_formats": services.export_formats_for(users[role])},
        request=request,
    )
    assert ("Export the register" in html) is shown
    if shown:
        assert 'action="/reports/exports/new/"' in html and "csrfmiddlewaretoken" in html


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_api_starts_an_export(register, users, api_client_for, role):
    client = api_client_for(users[role])
    response = client.post(
        EXPORTS_API,
        {"format": "csv", "filters": {"severity": [1, "3"], "q": "latency"}},
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/report-runs/{body['id']}/"
    assert body["kind"] == "register_csv" and body["status"] == "queued"
    assert body["params"] == {"severity": ["1", "3"], "q": "latency"}
    services.report_execute(body["id"])
    polled = client.get(response["Location"]).json()
    assert polled["status"] == "done" and polled["progress_total"] == 1
    download = client.get(polled["download_url"])
    rows = csv_rows(b"".join(download.streaming_content))
    assert [row[0] for row in rows[1:]] == [register["latency"].reference]


@pytest.mark.parametrize("role", REFUSED)
def test_api_refuses_other_roles(register, users, api_client_for, role):
    client = api_client_for(users[role])
    response = client.post(EXPORTS_API, {"format": "csv"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    # Refused before the body is even looked at.
    assert client.post(EXPORTS_API, {"format": "nope"}, format="json").status_code == 403
    assert client.get(f"{EXPORTS_API}csv/").status_code == 403
    assert not ReportRun.objects.exists()


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"severity": [9]}, "severity"),
        ({"sevrity": ["1"]}, "sevrity"),
        ({"system": 999999}, "system"),
        ({"detected_after": "yesterday"}, "detected_after"),
        ({"ordering": "colour"}, "ordering"),
    ],
)
def test_api_names_the_bad_filter(register, users, api_client_for, filters, field):
    response = api_client_for(users["auditor"]).post(
        EXPORTS_API, {"format": "xlsx", "filters": filters}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert field in body["fields"]["filters"]
    assert field in body["message"]
    assert not ReportRun.objects.exists()


def test_api_refuses_an_unknown_format(register, users, api_client_for):
    response = api_client_for(users["auditor"]).post(EXPORTS_API, {"format": "docx"}, format="json")
    assert response.status_code == 400
    assert "format" in response.json()["fields"]


def test_api_streams_a_small_csv(register, users, api_client_for):
    client = api_client_for(users["risk_officer"])
    response = client.get(f"{EXPORTS_API}csv/?severity=2&ordering=reference")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="incident-register-')
    assert response["X-Total-Count"] == "4"
    rows = csv_rows(b"".join(response.streaming_content))
    assert [row[0] for row in rows[1:]] == sorted(i.reference for i in register["formulas"])
    assert {row[1] for row in rows[1:]} == {"'" + d for d in DANGEROUS}
    # The restricted incident stays invisible to the risk officer here too.
    everything = csv_rows(b"".join(client.get(f"{EXPORTS_API}csv/").streaming_content))
    assert register["restricted"].reference not in {row[0] for row in everything}
    assert len(everything) == 1 + 6


def test_api_stream_refuses_bad_filters_and_large_selections(
    register, users, api_client_for, monkeypatch
):
    client = api_client_for(users["auditor"])
    response = client.get(f"{EXPORTS_API}csv/?status=bogus")
    assert response.status_code == 400 and "status" in response.json()["fields"]
    response = client.get(f"{EXPORTS_API}csv/?colour=red")
    assert response.status_code == 400 and "colour" in response.json()["fields"]
    monkeypatch.setattr(exports, "STREAM_MAX_ROWS", 3)
    response = client.get(f"{EXPORTS_API}csv/")
    assert response.status_code == 400
    assert response.json()["code"] == "export_too_large"
    assert "POST /api/v1/register-exports/" in response.json()["message"]
    assert client.get(f"{EXPORTS_API}csv/?severity=1").status_code == 200
