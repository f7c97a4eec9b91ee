"""The impact-assessment pages, both ways: the list with its filters, the assessment page with
the system's versions and the moves this person may make, the forms, the section on the system
page with the due-for-review flag, and My work."""

import pytest

from incidents.tests.factories import deploy, model_version
from risk.models import ImpactAssessment
from risk.tests.impact_factories import approved_assessment, draft_assessment, submitted_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(users, make_system):
    return make_system(name="Support assistant", technical_owner=users["engineer"])


def login(client, user):
    client.force_login(user)
    return client


def test_list_with_filters(client, users, system, make_system):
    other = make_system(name="Scoring model")
    approved = approved_assessment(users["grc"], users["risk_officer"], system)
    draft = draft_assessment(users["grc"], other)
    deploy(system, users["grc"], model_version(system, users["grc"]), change_type="retrain")
    page = login(client, users["auditor"]).get("/risks/impact/").content.decode()
    assert approved.reference in page and draft.reference in page
    assert "Due for review" in page and "New impact assessment" not in page
    only = client.get("/risks/impact/", {"status": "draft"}).content.decode()
    assert draft.reference in only and approved.reference not in only
    due = client.get("/risks/impact/", {"due": "review"}).content.decode()
    assert approved.reference in due and draft.reference not in due
    by_system = client.get("/risks/impact/", {"system": other.pk}).content.decode()
    assert draft.reference in by_system and approved.reference not in by_system
    assert client.get("/risks/impact/", {"system": "x", "due": "<b>"}).status_code == 200


def test_engineers_see_their_systems_and_ethics_is_refused(client, users, system, make_system):
    hidden = draft_assessment(
        users["grc"], make_system(name="Not theirs", business_owner=users["grc"])
    )
    own = draft_assessment(users["grc"], system)
    page = login(client, users["engineer"]).get("/risks/impact/").content.decode()
    assert own.reference in page and hidden.reference not in page
    assert client.get(f"/risks/impact/{hidden.pk}/").status_code == 404
    assert login(client, users["ethics"]).get("/risks/impact/").status_code == 403


def test_create_edit_submit_and_approve_from_the_pages(client, users, system):
    login(client, users["grc"])
    bad = client.post("/risks/impact/new/", {"trigger": "planned"})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    made = client.post(
        "/risks/impact/new/",
        {"system": system.pk, "trigger": "planned", "intended_use": "Answer questions"},
    )
    assessment = ImpactAssessment.objects.get()
    assert made.status_code == 302 and made.url == assessment.get_absolute_url()
    refused = client.post(
        f"/risks/impact/{assessment.pk}/transition/", {"to": "submitted"}, follow=True
    )
    assert "before submitting" in refused.content.decode()
    edit = client.post(
        f"/risks/impact/{assessment.pk}/edit/",
        {
            "trigger": "planned",
            "intended_use": "Answer questions about orders.",
            "foreseeable_misuse": "Legal advice.",
            "affected_groups": "Customers.",
            "societal_impact": "Low.",
            "jurisdictions": "eu, de",
            "result": "acceptable",
            "next_due_date": "2027-06-01",
        },
    )
    assert edit.status_code == 302
    assessment.refresh_from_db()
    assert assessment.jurisdictions == ["EU", "DE"]
    client.post(f"/risks/impact/{assessment.pk}/transition/", {"to": "submitted"})
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Submitted" in page and 'data-move="approved"' not in page  # GRC does not approve
    login(client, users["risk_officer"])
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert 'data-move="approved"' in page and 'data-move="draft"' in page
    client.post(
        f"/risks/impact/{assessment.pk}/transition/", {"to": "approved", "reason": "Checked."}
    )
    assessment.refresh_from_db()
    assert assessment.status == "approved" and assessment.approval_comment == "Checked."
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Checked." in page and "Versions of this system" in page


def test_the_author_cannot_approve_from_the_page(client, users, system):
    own = submitted_assessment(users["risk_officer"], system)
    answer = login(client, users["risk_officer"]).post(
        f"/risks/impact/{own.pk}/transition/", {"to": "approved", "reason": "mine"}
    )
    assert answer.status_code == 403
    own.refresh_from_db()
    assert own.status == "submitted"


def test_system_page_and_my_work_show_the_review_flag(client, users, system):
    approved = approved_assessment(users["grc"], users["risk_officer"], system)
    version = model_version(system, users["grc"])
    deploy(system, users["grc"], version, change_type="retrain")
    page = login(client, users["engineer"]).get(system.get_absolute_url()).content.decode()
    assert 'id="impact-review-due"' in page and "Retrain deployed" in page
    assert approved.reference in page and "2027-06-01" in page
    work = client.get("/my-work/").content.decode()
    assert "Impact assessment review due" in work and "Retrain deployed" in work
    assert f"Impact assessment {approved.reference}" in work  # the next-due clock
