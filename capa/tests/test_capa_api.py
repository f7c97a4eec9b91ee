"""The CAPA API with the same permissions as the services: per role, both ways, ETag/If-Match,
guards answering 409 with what is missing, findings and the no-CAPA decision."""

import pytest

from capa.choices import ActionStatus

from .factories import capa_at, proof, raise_capa

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def owner(users):
    return users["engineer"]


def test_create_with_default_due_date_and_read_it_back(users, api_client_for, make_system, grc):
    from incidents.tests.factories import file_incident

    incident = file_incident(grc, systems=[make_system()])
    client = api_client_for(users["risk_officer"])
    response = client.post(
        f"{V1}/capas/",
        {
            "owner": users["engineer"].pk,
            "root_cause_category": "integration_bug",
            "suggestion": "integration_tests",
            "incidents": [incident.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "CAPA-0001" and body["source"] == "incident"
    assert body["title"] == "Integration tests for the failing case type"
    assert body["incidents"] == [{"id": incident.pk, "reference": incident.reference}]
    assert response["ETag"]
    listed = client.get(f"{V1}/capas/?source=incident&horizon=long_term").json()
    assert [row["reference"] for row in listed["results"]] == ["CAPA-0001"]
    assert client.get(f"{V1}/incidents/{incident.pk}/capas/").json()[0]["reference"] == "CAPA-0001"


@pytest.mark.parametrize("role", ["engineer", "auditor", "dpo", "legal", "ciso", "executive"])
def test_only_managers_create(role, users, api_client_for):
    response = api_client_for(users[role]).post(
        f"{V1}/capas/", {"owner": users["engineer"].pk, "horizon": "immediate"}, format="json"
    )
    assert response.status_code == 403
    assert "raise CAPAs" in response.json()["message"]


def test_if_match_guards_updates(users, api_client_for, grc, owner):
    capa = raise_capa(grc, owner)
    client = api_client_for(owner)
    etag = client.get(f"{V1}/capas/{capa.pk}/")["ETag"]
    ok = client.patch(
        f"{V1}/capas/{capa.pk}/", {"title": "Edited"}, format="json", HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200 and ok.json()["title"] == "Edited"
    stale = client.patch(
        f"{V1}/capas/{capa.pk}/", {"title": "Again"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    status_edit = client.patch(
        f"{V1}/capas/{capa.pk}/", {"status": "verified_effective"}, format="json"
    )
    assert status_edit.status_code == 200 and status_edit.json()["status"] == "open"


def test_auditors_read_everything_and_change_nothing(users, api_client_for, grc, owner):
    capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
    client = api_client_for(users["auditor"])
    assert client.get(f"{V1}/capas/{capa.pk}/").status_code == 200
    assert client.get(f"{V1}/capas/{capa.pk}/evidence/").status_code == 200
    for path, body in [
        ("transition/", {"to": "verified_effective"}),
        ("effectiveness-check/result/", {"result": "passed"}),
        ("effectiveness-check/", {"criterion": "c", "method": "m"}),
    ]:
        response = client.post(f"{V1}/capas/{capa.pk}/{path}", body, format="json")
        assert response.status_code == 403, (path, response.json())
    response = client.patch(f"{V1}/capas/{capa.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403


def test_guards_answer_409_and_the_verifier_is_someone_else(users, api_client_for, grc, owner):
    capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
    response = api_client_for(grc).post(
        f"{V1}/capas/{capa.pk}/transition/", {"to": "verified_effective"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "guard_failed"
    refused = api_client_for(owner).post(
        f"{V1}/capas/{capa.pk}/effectiveness-check/result/", {"result": "passed"}, format="json"
    )
    assert refused.status_code == 403
    assert "cannot verify" in refused.json()["message"]
    officer = api_client_for(users["risk_officer"])
    recorded = officer.post(
        f"{V1}/capas/{capa.pk}/effectiveness-check/result/", {"result": "passed"}, format="json"
    )
    assert recorded.status_code == 200 and recorded.json()["result"] == "passed"
    moved = officer.post(
        f"{V1}/capas/{capa.pk}/transition/", {"to": "verified_effective"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["status"] == "verified_effective"


def test_evidence_upload_and_download(users, api_client_for, grc, owner):
    capa = raise_capa(grc, owner)
    client = api_client_for(owner)
    response = client.post(
        f"{V1}/capas/{capa.pk}/evidence/",
        {"file": proof(), "description": "the diff"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    evidence = response.json()
    assert evidence["media_type"] == "text/x-patch" and len(evidence["sha256"]) == 64
    download = api_client_for(users["auditor"]).get(
        f"{V1}/capa-evidence/{evidence['id']}/download/"
    )
    assert download.status_code == 200
    assert download["X-Evidence-SHA256"] == evidence["sha256"]


def test_a_stranger_does_not_see_the_capa(make_user, api_client_for, grc, owner, make_system):
    capa = raise_capa(grc, owner, system=make_system(business_owner=grc))
    stranger = api_client_for(make_user("engineer"))
    assert stranger.get(f"{V1}/capas/{capa.pk}/").status_code == 404
    assert stranger.get(f"{V1}/capas/").json()["count"] == 0
    assert api_client_for(owner).get(f"{V1}/capas/{capa.pk}/").status_code == 200


def test_suggestions(users, api_client_for):
    body = (
        api_client_for(users["auditor"])
        .get(f"{V1}/capa-suggestions/?category=oversight_failure")
        .json()
    )
    assert [s["key"] for s in body] == ["reviewer_recalibration", "review_interface_context"]


def test_no_capa_decision(users, api_client_for, grc, make_system):
    from incidents.tests.factories import file_incident

    incident = file_incident(grc, systems=[make_system()])
    path = f"{V1}/incidents/{incident.pk}/no-capa-decision/"
    assert (
        api_client_for(users["auditor"]).post(path, {"reason": "x"}, format="json").status_code
        == 403
    )
    assert api_client_for(grc).post(path, {"reason": ""}, format="json").status_code == 400
    made = api_client_for(grc).post(path, {"reason": "A duplicate of INC-1"}, format="json")
    assert made.status_code == 201 and made.json()["reason"] == "A duplicate of INC-1"


def test_findings_api(users, api_client_for, grc):
    body = {
        "audit_kind": "certification_stage_2",
        "audit_reference": "CB-2026-7",
        "classification": "observation",
        "clause": "A.8.4",
        "title": "Incident communication plan not rehearsed",
        "description": "No exercise in 12 months.",
        "objective_evidence": "Training records.",
    }
    assert (
        api_client_for(users["auditor"]).post(f"{V1}/findings/", body, format="json").status_code
        == 403
    )
    made = api_client_for(grc).post(f"{V1}/findings/", body, format="json")
    assert made.status_code == 201 and made.json()["reference"] == "FND-0001"
    pk = made.json()["id"]
    refused = api_client_for(grc).post(
        f"{V1}/findings/{pk}/transition/", {"to": "closed"}, format="json"
    )
    assert refused.status_code == 409
    closed = api_client_for(grc).post(
        f"{V1}/findings/{pk}/transition/",
        {"to": "closed", "reason": "Exercise scheduled"},
        format="json",
    )
    assert closed.status_code == 200 and closed.json()["closure_decision"] == "Exercise scheduled"
    assert api_client_for(users["auditor"]).get(f"{V1}/findings/{pk}/").status_code == 200
