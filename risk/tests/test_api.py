"""The risk API, both ways for every rule: who may read, raise, edit (If-Match), move, accept,
draft and approve methodology versions, and keep the SoA and its evidence."""

import pytest

from incidents.tests.factories import file_incident
from risk import services
from risk.models import Control
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


@pytest.fixture
def systems(make_system, users):
    return {
        "own": make_system(name="Own", business_owner=users["engineer"]),
        "other": make_system(name="Other", business_owner=users["grc"]),
    }


@pytest.fixture
def control():
    return Control.objects.get(code="A.6.2.6")


def body(users, **extra):
    return {
        "title": "Chatbot invents policy",
        "description": "Confabulated refund rules.",
        "category": "performance",
        "owner": users["grc"].pk,
        "inherent_likelihood": 4,
        "inherent_impact": 4,
        "tags": ["gai_confabulation"],
        **extra,
    }


def test_readers_see_the_register_engineers_their_systems_ethics_nothing(
    users, systems, api_client_for
):
    mine = raise_risk(users["grc"], systems=[systems["own"]])
    raise_risk(users["grc"], systems=[systems["other"]])
    for role in ("auditor", "executive", "grc", "dpo"):
        answer = api_client_for(users[role]).get(f"{V1}/risks/")
        assert answer.status_code == 200 and answer.json()["count"] == 2, role
    answer = api_client_for(users["engineer"]).get(f"{V1}/risks/")
    assert [r["reference"] for r in answer.json()["results"]] == [mine.reference]
    refused = api_client_for(users["ethics"]).get(f"{V1}/risks/")
    assert refused.status_code == 403 and "risk register is open to" in refused.json()["message"]
    other = raise_risk(users["grc"])
    assert api_client_for(users["engineer"]).get(f"{V1}/risks/{other.pk}/").status_code == 404


def test_create_and_edit_with_if_match(users, api_client_for, systems, control):
    grc = api_client_for(users["grc"])
    created = grc.post(
        f"{V1}/risks/",
        body(users, systems=[systems["own"].pk], controls=["A.6.2.6"]),
        format="json",
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["reference"], data["inherent_score"], data["inherent_band"]) == (
        "RISK-0001",
        16,
        "high",
    )
    assert data["controls"] == ["A.6.2.6"] and data["systems"][0]["id"] == systems["own"].pk
    url = f"{V1}/risks/{data['id']}/"
    etag = grc.get(url)["ETag"]
    changed = grc.patch(url, {"title": "Renamed"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    stale = grc.patch(url, {"title": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    assert grc.put(url, body(users), format="json").status_code == 405


@pytest.mark.parametrize("role", ["auditor", "engineer", "legal"])
def test_read_only_roles_cannot_raise_or_edit(users, api_client_for, role):
    client = api_client_for(users[role])
    answer = client.post(f"{V1}/risks/", body(users), format="json")
    assert answer.status_code == 403
    assert (
        answer.json()["message"]
        == "Only GRC staff and the AI risk officer change the risk register."
    )


def test_bad_input_says_what_is_wrong(users, api_client_for):
    grc = api_client_for(users["grc"])
    answer = grc.post(f"{V1}/risks/", body(users, inherent_likelihood=9), format="json")
    assert answer.status_code == 400 and "inherent_likelihood" in answer.json()["fields"]
    answer = grc.post(f"{V1}/risks/", body(users, tags=["nope"]), format="json")
    assert answer.status_code == 400 and "Unknown tags: nope" in answer.json()["message"]


def test_acceptance_through_transition_both_ways(users, api_client_for, control):
    risk = treated_risk(users["grc"], controls=[control])  # residual 12, high
    url = f"{V1}/risks/{risk.pk}/transition/"
    payload = {"to": "accepted", "reason": "Manual check of every refund above 100 EUR"}
    refused = api_client_for(users["grc"]).post(url, payload, format="json")
    assert refused.status_code == 403
    assert (
        "High band (score 12) may be accepted only by: AI risk officer" in refused.json()["message"]
    )
    auditor = api_client_for(users["auditor"]).post(url, payload, format="json")
    assert auditor.status_code == 403
    accepted = api_client_for(users["risk_officer"]).post(url, payload, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    history = api_client_for(users["auditor"]).get(f"{V1}/risks/{risk.pk}/acceptances/").json()
    assert history[0]["accepted_by"] == users["risk_officer"].username
    guard = api_client_for(users["grc"]).post(
        url.replace("transition", "transition"), {"to": "closed"}, format="json"
    )
    assert guard.status_code == 409 and "reason" in guard.json()["message"]


def test_methodology_versions_through_the_api(users, api_client_for):
    officer = api_client_for(users["risk_officer"])
    assert api_client_for(users["auditor"]).get(f"{V1}/risk-methodologies/").status_code == 200
    refused = api_client_for(users["grc"]).post(f"{V1}/risk-methodologies/", {}, format="json")
    assert (
        refused.status_code == 403
        and "Only the AI risk officer drafts" in refused.json()["message"]
    )
    draft = officer.post(
        f"{V1}/risk-methodologies/", {"title": "Stricter", "acceptance_threshold": 6}, format="json"
    )
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    pk = draft.json()["id"]
    bad = officer.patch(
        f"{V1}/risk-methodologies/{pk}/", {"acceptance_threshold": 30}, format="json"
    )
    assert bad.status_code == 400
    grc_approve = api_client_for(users["grc"]).post(f"{V1}/risk-methodologies/{pk}/approve/")
    assert grc_approve.status_code == 403
    approved = officer.post(f"{V1}/risk-methodologies/{pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "in_force"
    again = officer.post(f"{V1}/risk-methodologies/{pk}/approve/")
    assert again.status_code == 409


def test_soa_and_evidence_both_ways(users, api_client_for, make_system):
    control = Control.objects.get(code="A.8.4")
    url = f"{V1}/controls/{control.pk}/"
    assert len(api_client_for(users["auditor"]).get(f"{V1}/controls/").json()) == 38
    assert api_client_for(users["engineer"]).get(f"{V1}/controls/").status_code == 403
    excluded = api_client_for(users["grc"]).patch(
        f"{url}statement/", {"applicability": "excluded"}, format="json"
    )
    assert excluded.status_code == 400 and "needs a justification" in excluded.json()["message"]
    refused = api_client_for(users["auditor"]).patch(
        f"{url}statement/", {"applicability": "applicable"}, format="json"
    )
    assert refused.status_code == 403
    saved = api_client_for(users["grc"]).patch(
        f"{url}statement/",
        {"applicability": "applicable", "implementation_status": "implemented"},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["statement"]["applicability"] == "applicable"
    gaps = api_client_for(users["auditor"]).get(f"{V1}/evidence-map/").json()
    assert next(r for r in gaps if r["code"] == "A.8.4")["gap"] is True
    incident = file_incident(users["grc"], systems=[make_system()])
    link = {"kind": "incident", "target_id": incident.pk, "note": "Notified customers"}
    assert (
        api_client_for(users["auditor"]).post(f"{url}evidence/", link, format="json").status_code
        == 403
    )
    linked = api_client_for(users["grc"]).post(f"{url}evidence/", link, format="json")
    assert linked.status_code == 201 and linked.json()["kind"] == "incident"
    assert len(api_client_for(users["auditor"]).get(f"{url}evidence/").json()) == 1
    rows = api_client_for(users["auditor"]).get(f"{V1}/evidence-map/").json()
    assert next(r for r in rows if r["code"] == "A.8.4")["gap"] is False


def test_review_through_the_api(users, api_client_for):
    risk = raise_risk(users["grc"])
    url = f"{V1}/risks/{risk.pk}/review/"
    assert (
        api_client_for(users["auditor"])
        .post(url, {"next_review_date": "2030-01-01"}, format="json")
        .status_code
        == 403
    )
    answer = api_client_for(users["grc"]).post(
        url, {"next_review_date": "2030-01-01", "note": "ok"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["next_review_date"] == "2030-01-01"
    timeline = api_client_for(users["auditor"]).get(f"{V1}/risks/{risk.pk}/timeline/").json()
    assert timeline[-1]["kind"] == "reviewed"
    services.risk_transition(actor=users["grc"], risk=risk, to="closed", reason="Retired")
    closed = api_client_for(users["grc"]).post(
        url, {"next_review_date": "2030-02-01"}, format="json"
    )
    assert closed.status_code == 409
