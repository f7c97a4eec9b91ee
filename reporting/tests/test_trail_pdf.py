"""A system's evidence trail as a PDF, built by a worker and read back."""

import pytest

from aims.core.exceptions import PermissionRefused
from incidents.tests.factories import deploy, model_version
from reporting import services
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(make_system, users):
    system = make_system(lifecycle_status="production", name="Loan scoring")
    version = model_version(system, users["grc"], evaluation_summary="AUC 0.91 on holdout")
    deploy(system, users["grc"], version)
    return system


def test_the_trail_pdf_carries_each_step_and_its_gaps(system, users):
    run = services.system_trail_request(actor=users["auditor"], system=system)
    assert run.kind == ReportKind.SYSTEM_TRAIL_PDF
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    assert run.file_name.startswith(f"{system.reference}-evidence-trail-")
    with services.report_open(actor=users["auditor"], run=run) as handle:
        text = flat(pdf_text(handle.read()))
    assert f"Evidence trail of {system.reference} Loan scoring" in text
    for step in ("Requirement", "Evaluation", "Approval", "Deployment", "Incidents", "Risks"):
        assert step in text
    assert "AUC 0.91 on holdout" in text
    assert "version_not_approved" in text and "never approved" in text
    assert "no change reference" in text


def test_an_engineer_gets_the_trail_of_their_own_system_only(system, users, make_user, client):
    stranger = make_user("engineer", username="stranger")
    with pytest.raises(PermissionRefused):
        services.system_trail_request(actor=stranger, system=system)
    with pytest.raises(PermissionRefused):
        services.system_trail_request(actor=users["ethics"], system=system)
    assert not ReportRun.objects.exists()
    client.force_login(stranger)
    assert client.get(f"/reports/systems/{system.pk}/trail.pdf").status_code == 404
    client.force_login(users["engineer"])  # the system's business owner
    response = client.get(f"/reports/systems/{system.pk}/trail.pdf")
    run = ReportRun.objects.get(kind=ReportKind.SYSTEM_TRAIL_PDF)
    assert response.status_code == 302 and response.url == f"/reports/runs/{run.pk}/"


def test_the_trail_page_offers_the_pdf(system, users, client):
    client.force_login(users["grc"])
    body = client.get(f"/risks/systems/{system.pk}/trail/").content.decode()
    assert f"/reports/systems/{system.pk}/trail.pdf" in body
