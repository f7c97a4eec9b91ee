"""Regulatory report drafts as PDF: rendered by a worker (a report run), carrying what the
draft says, its gaps marked and listed, the obligation, the incident's reference, and "draft —
not yet approved" until legal approves it. Read back as text."""

import pytest

from disclosure import services as disclosure
from incidents.tests.factories import file_incident
from reporting import services
from reporting.builders.disclosure_draft import render_disclosure_draft, segments
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(users, make_system):
    system = make_system(
        name="Claims triage",
        gdpr_role="controller",
        hipaa_role="covered_entity",
        data_categories=["personal", "health"],
    )
    return file_incident(
        users["grc"],
        systems=[system],
        harm_flags=["personal_data_breach", "phi"],
        individuals_affected_estimate=420,
    )


def draft_for(incident, users, code):
    assessment = disclosure.assessment_refresh(actor=users["dpo"], incident=incident)
    return disclosure.obligation_draft(
        actor=users["dpo"], obligation=assessment.obligations.get(code=code)
    )


def built_text(run) -> str:
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=run.requested_by, run=run) as handle:
        return flat(pdf_text(handle.read()))


def test_gaps_are_split_out_of_each_line():
    assert segments("a [to complete: x] b\nc") == [
        [(False, "a "), (True, "[to complete: x]"), (False, " b")],
        [(False, "c")],
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("gdpr_art33", "Approximate number of data subjects concerned: about 420"),
        ("hipaa_individuals", "What information was involved"),
        ("ca_sb53", "Why it qualifies as a critical safety incident"),
        ("eu_ai_act_art73", "Causal link between the AI system and the incident"),
    ],
)
def test_each_draft_is_rendered_by_a_worker_with_its_obligation_and_gaps(
    incident, users, code, expected
):
    draft = draft_for(incident, users, code)
    run = services.disclosure_draft_request(actor=users["legal"], communication=draft)
    assert run.kind == ReportKind.DISCLOSURE_DRAFT and run.status == RunStatus.QUEUED
    assert run.incident == incident and run.params == {"communication": draft.pk}
    text = built_text(run)
    assert expected in text
    assert incident.reference in text and code in text
    assert draft.obligation.recipient.split()[0] in text
    assert "Draft — not yet approved" in text
    assert "Still to complete" in text and "[to complete:" in text
    gaps = draft.content.count("[to complete:")
    assert f"{gaps} gaps are marked in the text" in text or gaps == 1
    assert f"report run #{run.pk}" in text


def test_an_approved_draft_says_who_approved_it(incident, users):
    draft = draft_for(incident, users, "gdpr_art33")
    disclosure.communication_approve(actor=users["legal"], communication=draft)
    draft.refresh_from_db()
    text = flat(pdf_text(render_disclosure_draft(communication=draft, user=users["legal"])))
    assert "Approved by legal on" in text
    assert "not yet approved" not in text


def test_the_pdf_follows_the_edited_text(incident, users):
    """The PDF lays out the communication's text as it stands: no second copy of the draft."""
    draft = draft_for(incident, users, "gdpr_art33")
    draft.content = "Nature of the breach: exposed claim letters. [to complete: DPO phone]"
    text = flat(pdf_text(render_disclosure_draft(communication=draft, user=users["legal"])))
    assert "exposed claim letters" in text and "1 gap is marked in the text" in text
    assert "DPO phone" in text


def test_a_message_that_is_not_a_report_draft_is_refused(incident, users):
    message = disclosure.communication_draft(
        actor=users["grc"],
        incident=incident,
        data={"audience": "internal", "channel": "chat", "subject": "Heads-up", "content": "x"},
    )
    from aims.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed, match="drafted for an obligation"):
        services.disclosure_draft_request(actor=users["legal"], communication=message)
    assert not ReportRun.objects.exists()


def test_who_cannot_see_the_incident_gets_no_draft(incident, users, make_user, client):
    from aims.core.exceptions import PermissionRefused

    draft = draft_for(incident, users, "gdpr_art33")
    ethics = users["ethics"]  # sees only protected-channel incidents
    with pytest.raises(PermissionRefused):
        services.disclosure_draft_request(actor=ethics, communication=draft)
    client.force_login(ethics)
    assert client.get(f"/reports/communications/{draft.pk}/draft.pdf").status_code == 404
    client.force_login(users["legal"])
    response = client.get(f"/reports/communications/{draft.pk}/draft.pdf")
    run = ReportRun.objects.get(kind=ReportKind.DISCLOSURE_DRAFT)
    assert response.status_code == 302 and response.url == f"/reports/runs/{run.pk}/"


def test_the_incident_page_links_each_report_draft_to_its_pdf(incident, users, client):
    draft = draft_for(incident, users, "gdpr_art33")
    client.force_login(users["dpo"])
    html = client.get(incident.get_absolute_url()).content.decode()
    assert f"/reports/communications/{draft.pk}/draft.pdf" in html


def test_the_api_answers_the_pdf_or_the_run_to_follow(incident, users, api_client_for, settings):
    settings.CASE_FILE_WAIT_SECONDS = 0
    draft = draft_for(incident, users, "hipaa_individuals")
    api = api_client_for(users["legal"])
    response = api.get(f"/api/v1/communications/{draft.pk}/draft.pdf")
    assert response.status_code == 202
    run = ReportRun.objects.get(kind=ReportKind.DISCLOSURE_DRAFT)
    services.report_execute(run.pk)
    assert response.json()["id"] == run.pk
    again = api.get(f"/api/v1/report-runs/{run.pk}/download/")
    assert again.status_code == 200 and again["Content-Type"] == "application/pdf"
    assert "Notice of a breach of your health information" in flat(
        pdf_text(b"".join(again.streaming_content))
    )
    assert (
        api_client_for(users["ethics"])
        .get(f"/api/v1/communications/{draft.pk}/draft.pdf")
        .status_code
        == 404
    )
