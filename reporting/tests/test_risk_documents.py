"""The risk module's documents, built as a worker builds them and read back: the filtered risk
register as CSV and XLSX (only what the requester sees, formulas neutralised), and the
Statement of Applicability as a PDF (read back with pdftotext)."""

import csv
import io
import subprocess
import zipfile

import pytest

from aims.core.exceptions import PermissionRefused, ValidationFailed
from reporting import services
from reporting.choices import RunStatus
from risk import services as risk_services
from risk.models import Control
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db


def built(run):
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=run.requested_by, run=run) as handle:
        return handle.read()


@pytest.fixture
def register(users, make_system):
    control = Control.objects.get(code="A.6.2.6")
    own = make_system(name="Own", business_owner=users["engineer"])
    high = treated_risk(users["grc"], controls=[control], systems=[own], title="Refund errors")
    low = raise_risk(
        users["grc"], title='=HYPERLINK("x")', inherent_likelihood=1, inherent_impact=2
    )
    return {"high": high, "low": low, "control": control}


def test_csv_holds_the_filtered_register(users, register):
    run = services.risk_register_export_request(
        actor=users["auditor"], fmt="csv", params={"residual_band": ["high"]}
    )
    rows = list(csv.reader(io.StringIO(built(run).decode("utf-8"))))
    assert rows[0][:3] == ["Reference", "Title", "Status"]
    assert [r[0] for r in rows[1:]] == [register["high"].reference]
    assert rows[1][12] == "A.6.2.6" and rows[1][15] == "12" and rows[1][16] == "high"


def test_formulas_are_neutralised_and_xlsx_reads_back(users, register):
    run = services.risk_register_export_request(actor=users["grc"], fmt="xlsx", params={})
    with zipfile.ZipFile(io.BytesIO(built(run))) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert "Refund errors" in strings
    assert "'=HYPERLINK" in strings  # shown as text, never run as a formula
    run = services.risk_register_export_request(actor=users["grc"], fmt="csv", params={})
    assert "'=HYPERLINK" in built(run).decode()


def test_exports_are_refused_for_engineers_and_bad_filters_are_named(users, register):
    with pytest.raises(PermissionRefused, match="Exports of the risk register are for"):
        services.risk_register_export_request(actor=users["engineer"], fmt="csv", params={})
    with pytest.raises(ValidationFailed, match="residual_band"):
        services.risk_register_export_request(
            actor=users["grc"], fmt="csv", params={"residual_band": ["enormous"]}
        )
    with pytest.raises(ValidationFailed, match="csv or xlsx"):
        services.risk_register_export_request(actor=users["grc"], fmt="pdf", params={})


def test_the_soa_pdf_lists_every_control_with_its_decision_and_evidence(users, register):
    grc = users["grc"]
    risk_services.statement_update(
        actor=grc,
        control=Control.objects.get(code="A.10.4"),
        data={"applicability": "excluded", "justification": "We sell to no customers directly"},
    )
    risk_services.statement_update(
        actor=grc,
        control=Control.objects.get(code="A.8.4"),
        data={"applicability": "applicable"},
    )
    run = services.soa_request(actor=users["auditor"])
    pdf = built(run)
    text = subprocess.run(
        ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    flat = " ".join(text.split())
    assert "Statement of Applicability" in flat
    assert "A.10.4 Customers" in flat and "We sell to no customers directly" in flat
    assert "No record in the last 12 months." in flat  # A.8.4: applicable, nothing behind it
    assert register["high"].reference in flat  # A.6.2.6 is backed by the risk that applies it
    assert "Residual risk" in flat and "Inherent risk" in flat
    with pytest.raises(PermissionRefused):
        services.soa_request(actor=users["engineer"])


def test_the_case_file_shows_the_risks_the_incident_changed(users, register, make_system):
    from incidents.tests.factories import file_incident
    from reporting.builders.casefile import case_file_html
    from risk import incident_links

    incident = file_incident(users["grc"], systems=[make_system()])
    incident_links.incident_risk_rerate(
        actor=users["grc"],
        incident=incident,
        risk=register["high"],
        which="residual",
        likelihood=4,
        impact=4,
        reason="Recurred twice",
    )
    html = case_file_html(incident=incident, actor=users["auditor"])
    assert register["high"].reference in html and "Recurred twice" in html
    assert "12 → 16" in html
