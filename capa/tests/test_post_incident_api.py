"""The post-incident review API with the services' permissions: auditors and reading roles
read, the incident's managers write (If-Match), only the AI risk officer approves or returns,
GRC and the AI risk officer raise its CAPAs; the list filters by status and overdue."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from .pir_factories import LESSONS, closed_incident, review_for, submitted_review

pytestmark = pytest.mark.django_db
PIR = "/api/v1/post-incident-reviews"


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def system(make_system):
    return make_system()


def test_an_auditor_reads_the_review_with_its_computed_facts(users, api_client_for, grc, system):
    review = review_for(closed_incident(grc, system))
    response = api_client_for(users["auditor"]).get(f"{PIR}/{review.pk}/")
    assert response.status_code == 200 and response["ETag"]
    body = response.json()
    assert body["reference"] == review.reference and body["status"] == "draft"
    assert body["facts"]["frozen"] is False
    assert body["facts"]["timeline"]["time_to_detect_seconds"] is not None
    assert {d["code"] for d in body["facts"]["documentation"]} >= {"validation_status"}
    assert body["facts"]["root_cause"]["category"] == "integration_bug"


def test_an_engineer_reads_the_review_of_an_incident_on_their_system_only(
    users, api_client_for, grc, make_system
):
    mine = review_for(closed_incident(grc, make_system(business_owner=users["engineer"])))
    other = review_for(closed_incident(grc, make_system(business_owner=grc)))
    client = api_client_for(users["engineer"])
    assert client.get(f"{PIR}/{mine.pk}/").status_code == 200
    assert client.get(f"{PIR}/{other.pk}/").status_code == 404
    listed = [row["reference"] for row in client.get(f"{PIR}/").json()["results"]]
    assert listed == [mine.reference]


def test_if_match_guards_the_lessons(users, api_client_for, grc, system):
    review = review_for(closed_incident(grc, system))
    client = api_client_for(grc)
    etag = client.get(f"{PIR}/{review.pk}/")["ETag"]
    ok = client.patch(f"{PIR}/{review.pk}/", LESSONS, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.json()
    assert ok.json()["controls_failed"] == LESSONS["controls_failed"]
    stale = client.patch(
        f"{PIR}/{review.pk}/", {"caught_sooner": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    bad = client.patch(f"{PIR}/{review.pk}/", {"process_followed": "maybe"}, format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["auditor", "engineer", "executive"])
def test_reading_roles_cannot_write(role, users, api_client_for, grc, make_system):
    review = review_for(closed_incident(grc, make_system(business_owner=users["engineer"])))
    response = api_client_for(users[role]).patch(
        f"{PIR}/{review.pk}/", {"caught_sooner": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "post-incident review" in response.json()["message"]


def test_submit_then_only_the_risk_officer_approves(users, api_client_for, grc, system):
    review = review_for(closed_incident(grc, system))
    client = api_client_for(grc)
    incomplete = client.post(f"{PIR}/{review.pk}/submit/")
    assert incomplete.status_code == 409 and "controls that failed" in incomplete.json()["message"]
    client.patch(f"{PIR}/{review.pk}/", LESSONS, format="json")
    submitted = client.post(f"{PIR}/{review.pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["facts"]["frozen"] is True
    refused = client.post(f"{PIR}/{review.pk}/approve/", {"comment": "Fine."}, format="json")
    assert refused.status_code == 403
    assert "Only the AI risk officer approves" in refused.json()["message"]
    officer = api_client_for(users["risk_officer"])
    approved = officer.post(f"{PIR}/{review.pk}/approve/", {"comment": "Fine."}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "risk_officer"
    again = officer.post(f"{PIR}/{review.pk}/approve/", {"comment": "Again."}, format="json")
    assert again.status_code == 409


def test_the_risk_officer_returns_with_a_comment(users, api_client_for, grc, system):
    review = submitted_review(grc, system)
    officer = api_client_for(users["risk_officer"])
    assert officer.post(f"{PIR}/{review.pk}/return/", {}, format="json").status_code == 400
    returned = officer.post(
        f"{PIR}/{review.pk}/return/", {"comment": "Name the owner."}, format="json"
    )
    assert returned.status_code == 200
    assert returned.json()["status"] == "returned"
    assert returned.json()["return_comment"] == "Name the owner."


def test_raise_a_policy_update_as_a_capa(users, api_client_for, grc, system):
    review = review_for(closed_incident(grc, system))
    body = {
        "update_kind": "policy",
        "action_type": "corrective",
        "title": "Retraining policy names a segment gate",
        "description": "The policy requires a segment-level evaluation.",
        "horizon": "short_term",
        "owner": users["engineer"].pk,
        "due_at": "2027-02-01T12:00:00Z",
    }
    refused = api_client_for(users["auditor"]).post(
        f"{PIR}/{review.pk}/capas/", body, format="json"
    )
    assert refused.status_code == 403
    client = api_client_for(users["risk_officer"])
    created = client.post(f"{PIR}/{review.pk}/capas/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["capa_reference"].startswith("CAPA-")
    assert created.json()["owner"] == "engineer"
    listed = client.get(f"{PIR}/{review.pk}/capas/").json()
    assert [row["update_kind"] for row in listed] == ["policy"]
    correction = client.post(
        f"{PIR}/{review.pk}/capas/", {**body, "action_type": "correction"}, format="json"
    )
    assert correction.status_code == 400


def test_list_filters_by_status_and_overdue(users, api_client_for, grc, make_system):
    late = review_for(closed_incident(grc, make_system(), at=timezone.now() - timedelta(days=30)))
    fresh = submitted_review(grc, make_system())
    client = api_client_for(users["auditor"])

    def refs(query):
        return {row["reference"] for row in client.get(f"{PIR}/?{query}").json()["results"]}

    assert refs("status=submitted") == {fresh.reference}
    assert refs("overdue=true") == {late.reference}
    assert refs("overdue=false") == {fresh.reference}
    assert refs(f"incident={late.incident_id}") == {late.reference}
    assert refs("status=nonsense") == {late.reference, fresh.reference}
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert refs("overdue=true") == {late.reference, fresh.reference}
