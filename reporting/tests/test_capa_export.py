"""The CAPA register as CSV and XLSX, built as a worker builds it and read back: the filtered
register with each CAPA's incidents, root-cause category and effectiveness result; only what
the requester sees; formulas neutralised; refused to the roles that do not export it."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse

from aims.core.exceptions import PermissionRefused, ValidationFailed
from capa.choices import ActionStatus
from capa.tests.factories import capa_at, raise_capa
from reporting import services
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun

pytestmark = pytest.mark.django_db


def built(run):
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=run.requested_by, run=run) as handle:
        return handle.read()


@pytest.fixture
def capas(users):
    done = capa_at(
        ActionStatus.VERIFIED_EFFECTIVE,
        actor=users["grc"],
        owner=users["engineer"],
        verifier=users["risk_officer"],
        root_cause_category="integration_bug",
    )
    formula = raise_capa(users["grc"], users["engineer"], title='=HYPERLINK("x")')
    return {"done": done, "formula": formula}


def test_csv_holds_the_filtered_register_with_incidents_and_results(users, capas):
    run = services.capa_register_export_request(
        actor=users["auditor"], fmt="csv", params={"status": ["verified_effective"]}
    )
    rows = list(csv.reader(io.StringIO(built(run).decode("utf-8"))))
    header = rows[0]
    assert header[:3] == ["Reference", "Title", "Type"]
    assert [r[0] for r in rows[1:]] == [capas["done"].reference]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Status"] == "Verified effective"
    assert row["Root-cause category"] == "Prompt or integration bug"
    assert row["Incidents"] == capas["done"].incidents.get().reference
    assert row["Effectiveness check"] == "Passed"
    assert row["Owner"] == "engineer"


def test_formulas_are_neutralised_and_xlsx_reads_back(users, capas):
    run = services.capa_register_export_request(actor=users["grc"], fmt="xlsx", params={})
    with zipfile.ZipFile(io.BytesIO(built(run))) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert capas["done"].reference in strings
    assert "'=HYPERLINK" in strings
    run = services.capa_register_export_request(actor=users["grc"], fmt="csv", params={})
    assert "'=HYPERLINK" in built(run).decode()


def test_exports_are_refused_for_engineers_and_bad_input_is_named(users, capas):
    with pytest.raises(PermissionRefused, match="export the CAPA register"):
        services.capa_register_export_request(actor=users["engineer"], fmt="csv", params={})
    with pytest.raises(ValidationFailed, match="csv or xlsx"):
        services.capa_register_export_request(actor=users["grc"], fmt="pdf", params={})


def test_the_register_page_offers_the_export_with_its_filters(client, users, capas):
    client.force_login(users["auditor"])
    page = client.get(reverse("capa:register") + "?status=open")
    assert reverse("reporting:capa-export") in page.text
    response = client.post(reverse("reporting:capa-export"), {"format": "xlsx", "status": ["open"]})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and run.kind == ReportKind.CAPA_REGISTER_XLSX
    assert run.params == {"status": ["open"]}
    client.force_login(users["engineer"])
    assert reverse("reporting:capa-export") not in client.get(reverse("capa:register")).text
