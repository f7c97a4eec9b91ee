"""The impact-assessment API, both ways: list with filters, create, ETag / If-Match on update,
submit, approve (refused for the author and for other roles), send back."""

import pytest

from incidents.tests.factories import deploy, file_incident, model_version
from risk.tests.impact_factories import approved_assessment, complete_data, draft_assessment

pytestmark = pytest.mark.django_db
URL = "/api/v1/impact-assessments/"


@pytest.fixture
def system(users, make_system):
    return make_system(name="Support assistant", technical_owner=users["engineer"])


def _body(system, **extra):
    data = complete_data(**extra)
    data["next_due_date"] = data["next_due_date"].isoformat()
    return {"system": system.pk, **data}


def test_create_update_with_if_match_submit_and_approve(users, system, api_client_for):
    grc = api_client_for(users["grc"])
    made = grc.post(URL, _body(system, result=""), format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["reference"].startswith("AIA-") and body["status"] == "draft"
    url = f"{URL}{body['id']}/"
    etag = grc.get(url).headers["ETag"]
    early = grc.post(f"{url}submit/", format="json")
    assert early.status_code == 409 and "the result" in early.json()["message"]
    changed = grc.patch(url, {"result": "acceptable"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["result"] == "acceptable"
    stale = grc.patch(url, {"result": "not_acceptable"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert grc.post(f"{url}submit/", format="json").json()["status"] == "submitted"
    refused = grc.post(f"{url}approve/", {"comment": "fine"}, format="json")
    assert refused.status_code == 403
    officer = api_client_for(users["risk_officer"])
    assert officer.post(f"{url}approve/", {}, format="json").status_code == 400
    approved = officer.post(f"{url}approve/", {"comment": "Checked."}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by_name"] == "risk_officer"


def test_the_author_may_not_approve_and_send_back_needs_a_reason(users, system, api_client_for):
    officer = api_client_for(users["risk_officer"])
    made = officer.post(URL, _body(system), format="json").json()
    url = f"{URL}{made['id']}/"
    officer.post(f"{url}submit/", format="json")
    own = officer.post(f"{url}approve/", {"comment": "mine"}, format="json")
    assert own.status_code == 403 and "author" in own.json()["message"]
    assert officer.post(f"{url}send-back/", {}, format="json").status_code == 400
    back = officer.post(f"{url}send-back/", {"reason": "Add the groups."}, format="json")
    assert back.json()["status"] == "draft"


def test_list_filters_and_the_review_flag(users, system, make_system, api_client_for):
    other = make_system(name="Scoring")
    approved = approved_assessment(users["grc"], users["risk_officer"], system)
    draft = draft_assessment(users["grc"], other)
    incident = file_incident(users["grc"], systems=[system], severity=1, severity_reason="bad")
    client = api_client_for(users["auditor"])
    rows = client.get(URL).json()["results"]
    assert {r["reference"] for r in rows} == {approved.reference, draft.reference}
    due = client.get(URL, {"due": "review"}).json()["results"]
    assert [r["reference"] for r in due] == [approved.reference] and due[0]["review_due"]
    assert [r["reference"] for r in client.get(URL, {"system": other.pk}).json()["results"]] == [
        draft.reference
    ]
    assert client.get(URL, {"system": "nope"}).json()["results"] == []
    assert client.post(URL, _body(system), format="json").status_code == 403
    assert incident.reference


def test_engineers_read_their_systems_only_and_ethics_is_refused(
    users, system, make_system, api_client_for
):
    hidden = draft_assessment(users["grc"], make_system(name="Other", business_owner=users["grc"]))
    own = draft_assessment(users["grc"], system)
    engineer = api_client_for(users["engineer"])
    assert [r["id"] for r in engineer.get(URL).json()["results"]] == [own.pk]
    assert engineer.get(f"{URL}{hidden.pk}/").status_code == 404
    assert api_client_for(users["ethics"]).get(URL).status_code == 403


def test_a_deployment_of_another_system_is_refused(users, system, make_system, api_client_for):
    other = make_system(name="Other")
    foreign = deploy(other, users["grc"], model_version(other, users["grc"]))
    grc = api_client_for(users["grc"])
    made = grc.post(URL, _body(system), format="json").json()
    answer = grc.patch(
        f"{URL}{made['id']}/", {"trigger": "change", "deployment": foreign.pk}, format="json"
    )
    assert answer.status_code == 400 and "not one of this system's" in answer.json()["message"]
