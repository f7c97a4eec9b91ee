"""The risk register's exports, the SoA and a system's trail as PDF, requested over the API:
202 with the run to follow, the file built by a worker; refused to who may not have them."""

import pytest

from reporting import services
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun
from risk.tests.factories import raise_risk

pytestmark = pytest.mark.django_db


def test_an_auditor_exports_the_risk_register_as_csv(users, api_client_for):
    raise_risk(users["grc"], title="Refund amounts wrong")
    response = api_client_for(users["auditor"]).post(
        "/api/v1/risk-exports/", {"format": "csv", "filters": {}}, format="json"
    )
    assert response.status_code == 202, response.json()
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert run.kind == ReportKind.RISK_REGISTER_CSV
    assert response["Location"].endswith(f"/report-runs/{run.pk}/")
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=users["auditor"], run=run) as handle:
        assert "Refund amounts wrong" in handle.read().decode("utf-8-sig")


def test_the_risk_export_validates_format_and_filters(users, api_client_for):
    api = api_client_for(users["auditor"])
    assert api.post("/api/v1/risk-exports/", {"format": "pdf"}, format="json").status_code == 400
    bad = api.post(
        "/api/v1/risk-exports/",
        {"format": "xlsx", "filters": {"status": ["no-such-status"]}},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    assert not ReportRun.objects.exists()


def test_engineers_cannot_export_the_risk_register_or_the_soa(users, api_client_for):
    api = api_client_for(users["engineer"])
    refused = api.post("/api/v1/risk-exports/", {"format": "csv"}, format="json")
    assert (
        refused.status_code == 403 and "Exports of the risk register" in refused.json()["message"]
    )
    assert api.post("/api/v1/soa-pdf/").status_code == 403
    assert not ReportRun.objects.exists()


def test_the_soa_pdf_over_the_api(users, api_client_for):
    response = api_client_for(users["auditor"]).post("/api/v1/soa-pdf/")
    assert response.status_code == 202
    assert ReportRun.objects.get().kind == ReportKind.SOA_PDF


def test_the_trail_pdf_over_the_api(make_system, users, make_user, api_client_for):
    system = make_system(lifecycle_status="production")
    stranger = make_user("engineer", username="stranger")
    assert (
        api_client_for(stranger).post(f"/api/v1/systems/{system.pk}/trail-pdf/").status_code == 404
    )
    assert (
        api_client_for(users["ethics"]).post(f"/api/v1/systems/{system.pk}/trail-pdf/").status_code
        == 403
    )
    response = api_client_for(users["engineer"]).post(f"/api/v1/systems/{system.pk}/trail-pdf/")
    assert response.status_code == 202
    run = ReportRun.objects.get()
    assert run.kind == ReportKind.SYSTEM_TRAIL_PDF and run.params == {"system": system.pk}
