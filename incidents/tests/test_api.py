"""The incident register's REST API: filing (with Idempotency-Key), the lifecycle, evidence,
notes and timeline, concurrency, the register's filters and export, and who may do what."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.choices import CustodyAction, Severity, Status
from incidents.models import Evidence, EvidenceAccess, Incident

from .factories import PNG_HEADER, add_evidence, deploy, file_incident, model_version

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


def detail(incident, suffix=""):
    return f"{INCIDENTS}{incident.pk}/{suffix}"


def payload(**extra):
    return {
        "title": "Chatbot gives dosage advice",
        "description": "The support assistant answered a medication dosage question.",
        "kind": "incident",
        "types": ["harmful_output", "safety"],
        "detection_source": "user_report",
        **extra,
    }


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def system(make_system):
    """A system owned by ``users["engineer"]``."""
    return make_system(name="Support assistant")


@pytest.fixture
def grc_client(users, api_client_for):
    return api_client_for(users["grc"])


# --- filing ---------------------------------------------------------------------------------------------


def test_file_an_incident_naming_systems_by_reference_or_id(
    users, system, make_system, api_client_for
):
    grc = users["grc"]
    version = model_version(system, grc, "v3")
    deploy(system, grc, version, at=timezone.now() - timedelta(days=3))
    second = make_system(name="Ranker")
    response = api_client_for(users["engineer"]).post(
        INCIDENTS,
        payload(
            systems=[system.reference, second.pk, system.pk],
            severity="P1",
            severity_reason="Safety",
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == f"INC-{timezone.now().year}-0001"
    assert body["status"] == "reported" and body["status_label"] == "Reported"
    assert (body["severity"], body["severity_label"]) == (1, Severity.P1.label)
    assert body["reported_by"]["username"] == "engineer"
    pinned = {a["system"]["reference"]: a for a in body["affected_systems"]}
    assert set(pinned) == {system.reference, second.reference}
    assert pinned[system.reference]["model_version_label"] == "v3"
    assert pinned[system.reference]["artifact_digest"] == "sha256:v3-digest"
    assert pinned[system.reference]["training_data_version"] == "data-v3"
    assert pinned[second.reference]["model_version"] is None
    assert body["suggested_severity"]["severity"] == Severity.P2
    assert body["suggested_severity"]["reasons"]
    assert [item["key"] for item in body["checklist"]] == [
        "severity",
        "systems",
        "scope",
        "evidence",
        "notifications",
    ]
    assert body["allowed_moves"] == []  # an engineer who is not the lead moves nothing
    assert response["Location"] == detail(Incident.objects.get())
    assert response["ETag"]


def test_managers_see_the_moves_and_what_each_still_needs(grc_client):
    body = grc_client.post(INCIDENTS, payload(), format="json").json()
    moves = {m["to"]: m for m in body["allowed_moves"]}
    assert set(moves) == {"triaged", "rejected"}
    assert moves["triaged"]["missing"] == [
        "Triage needs a severity, at least one affected AI system."
    ]
    assert moves["rejected"]["needs_reason"] is True and moves["rejected"]["missing"] == []


def test_filing_names_what_is_wrong(grc_client):
    response = grc_client.post(
        INCIDENTS, payload(title="", systems=["AIS-9999"], types=["gremlins"]), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body["fields"]) == {"title", "systems", "types"}
    assert "No AI system AIS-9999." in body["message"]
    assert Incident.objects.count() == 0


def test_status_lead_and_reference_are_not_set_by_filing(grc_client, users):
    response = grc_client.post(
        INCIDENTS,
        payload(status="closed", lead=users["grc"].pk, reference="INC-1999-0001"),
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"status", "lead", "reference"}
    assert "transition" in fields["status"][0]


def test_service_rules_come_back_as_json(grc_client):
    response = grc_client.post(
        INCIDENTS,
        payload(detected_at=(timezone.now() + timedelta(days=1)).isoformat()),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "message": "The detection time cannot be in the future.",
        "fields": {"detected_at": ["future"]},
    }


# --- Idempotency-Key ------------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_return_the_same_incident(users, system, api_client_for):
    client = api_client_for(users["engineer"])
    headers = {"Idempotency-Key": "alertmanager-7f3a"}
    first = client.post(
        INCIDENTS, payload(systems=[system.reference]), format="json", headers=headers
    )
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # A retry, even naming the system by id instead of reference, is the same request.
    again = client.post(INCIDENTS, payload(systems=[system.pk]), format="json", headers=headers)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["reference"] == first.json()["reference"]
    assert Incident.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_422(grc_client):
    headers = {"Idempotency-Key": "k-1"}
    assert grc_client.post(INCIDENTS, payload(), format="json", headers=headers).status_code == 201
    response = grc_client.post(
        INCIDENTS, payload(title="Something else"), format="json", headers=headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_conflict"
    assert "different request body" in response.json()["message"]
    assert Incident.objects.count() == 1


def test_without_a_key_every_call_files_an_incident(grc_client):
    grc_client.post(INCIDENTS, payload(), format="json")
    grc_client.post(INCIDENTS, payload(), format="json")
    assert Incident.objects.count() == 2


def test_an_overlong_idempotency_key_is_refused(grc_client):
    response = grc_client.post(
        INCIDENTS, payload(), format="json", headers={"Idempotency-Key": "k" * 256}
    )
    assert response.status_code == 400
    assert Incident.objects.count() == 0


# --- the lifecycle --------------------------------------------------------------------------------------


def test_a_failing_guard_answers_409_naming_what_is_missing(grc_client, users):
    incident = file_incident(users["grc"], detection_source="")
    response = grc_client.post(detail(incident, "transition/"), {"to": "triaged"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "guard_failed",
        "message": "Triage needs a severity, at least one affected AI system, a detection source.",
    }


def test_a_move_the_table_does_not_allow_answers_409(grc_client, users):
    incident = file_incident(users["grc"])
    response = grc_client.post(detail(incident, "transition/"), {"to": "closed"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert "From reported it can move to: triaged, rejected." in body["message"]


def test_containment_before_evidence_answers_409(grc_client, users, system):
    incident = file_incident(users["grc"], systems=[system], severity=2, severity_reason="x")
    grc_client.post(detail(incident, "transition/"), {"to": "triaged"}, format="json")
    response = grc_client.post(
        detail(incident, "containment/"), {"option": "pause", "rationale": "Stop"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["message"].startswith("Preserve evidence first")
    response = grc_client.post(detail(incident, "transition/"), {"to": "contained"}, format="json")
    assert response.status_code == 409
    assert "Preserve evidence first" in response.json()["message"]
    assert "Record the containment decision first" in response.json()["message"]


def test_a_skip_without_a_reason_answers_409(grc_client, users, system):
    incident = file_incident(users["grc"], systems=[system], severity=2, severity_reason="x")
    grc_client.post(detail(incident, "transition/"), {"to": "triaged"}, format="json")
    response = grc_client.post(
        detail(incident, "transition/"), {"to": "investigating"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["fields"] == {"reason": ["required"]}
    response = grc_client.post(
        detail(incident, "transition/"),
        {"to": "investigating", "reason": "No containment needed: no traffic"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "investigating"


def test_the_whole_response_through_the_api(grc_client, users, system):
    body = grc_client.post(
        INCIDENTS,
        payload(systems=[system.reference], severity=2, severity_reason="Subset"),
        format="json",
    ).json()
    url = f"{INCIDENTS}{body['id']}/"
    response = grc_client.post(url + "transition/", {"to": "triaged"}, format="json")
    assert response.status_code == 200
    assert response.json()["milestones"]["triaged_at"]
    upload = SimpleUploadedFile("logs.jsonl", b'{"input": "dose?", "output": "take 10"}\n')
    assert (
        grc_client.post(
            url + "evidence/", {"file": upload, "kind": "sample_io"}, format="multipart"
        ).status_code
        == 201
    )
    decision = grc_client.post(
        url + "containment/", {"option": "pause", "rationale": "Human-only answers"}, format="json"
    )
    assert decision.status_code == 201 and decision.json()["option"] == "pause"
    for step in ("contained", "investigating", "remediating"):
        assert grc_client.post(url + "transition/", {"to": step}, format="json").status_code == 200
    refused = grc_client.post(url + "transition/", {"to": "resolved"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("Resolving needs a verification note")
    etag = grc_client.get(url)["ETag"]
    grc_client.patch(
        url,
        {"verification_note": "Replayed 200 dosage questions: all refused."},
        format="json",
        headers={"If-Match": etag},
    )
    resolved = grc_client.post(url + "transition/", {"to": "resolved"}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["milestones"]["resolved_at"]


def test_an_unknown_status_is_a_validation_error(grc_client, users):
    incident = file_incident(users["grc"])
    response = grc_client.post(detail(incident, "transition/"), {"to": "done"}, format="json")
    assert response.status_code == 400
    assert "to" in response.json()["fields"]


def test_severity_action_needs_a_reason_and_records_the_change(grc_client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    response = grc_client.post(detail(incident, "severity/"), {"severity": 1}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["fields"]
    response = grc_client.post(
        detail(incident, "severity/"), {"severity": "P0", "reason": "PHI exposed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["severity"] == 0


def test_de_escalation_by_the_lead_is_refused(users, make_user, system, api_client_for):
    lead = make_user("engineer")
    incident = file_incident(users["grc"], systems=[system], severity=1, severity_reason="x")
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=lead)
    response = api_client_for(lead).post(
        detail(incident, "severity/"), {"severity": 3, "reason": "Minor"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_recent_changes_lists_the_14_days_before_detection(grc_client, users, system):
    grc = users["grc"]
    v1, v2 = model_version(system, grc, "v1"), model_version(system, grc, "v2")
    now = timezone.now()
    deploy(system, grc, v1, at=now - timedelta(days=30))
    recent = deploy(system, grc, v2, at=now - timedelta(days=4))
    incident = file_incident(grc, systems=[system], detected_at=now - timedelta(days=1))
    deploy(system, grc, v1, at=now - timedelta(hours=1), change_type="config_change")
    response = grc_client.get(detail(incident, "recent-changes/"))
    assert response.status_code == 200
    [row] = response.json()
    assert row["system"]["reference"] == system.reference
    assert [d["id"] for d in row["deployments"]] == [recent.pk]
    assert row["deployments"][0]["version_label"] == "v2"


def test_similar_incidents_by_text_and_system(grc_client, users, system, make_system):
    grc = users["grc"]
    same_system = file_incident(grc, systems=[system], title="Wrong invoice totals")
    same_text = file_incident(grc, title="Chatbot hallucinated a refund policy")
    file_incident(grc, systems=[make_system()], title="Latency spike")
    response = grc_client.get(f"{INCIDENTS}similar/?q=refund+policy+hallucinated")
    assert [i["reference"] for i in response.json()] == [same_text.reference]
    response = grc_client.get(f"{INCIDENTS}similar/?system={system.reference}")
    assert [i["reference"] for i in response.json()] == [same_system.reference]
    response = grc_client.get(f"{INCIDENTS}similar/?system={system.pk}&exclude={same_system.pk}")
    assert response.json() == []
    assert grc_client.get(f"{INCIDENTS}similar/").json() == []


# --- evidence -------------------------------------------------------------------------------------------


def upload_evidence(client, incident, content=b"line 1\nline 2\n", name="app.log", **fields):
    return client.post(
        detail(incident, "evidence/"),
        {"file": SimpleUploadedFile(name, content), "kind": "audit_log", **fields},
        format="multipart",
    )


def test_evidence_upload_returns_its_hash_and_size(users, system, api_client_for):
    incident = file_incident(users["grc"], systems=[system])
    content = b"2026-03-01T10:00Z decision=reject postcode=1011\n" * 20
    response = upload_evidence(
        api_client_for(users["engineer"]),
        incident,
        content,
        description="Decision log",
        period_start="2026-03-01T00:00:00Z",
        period_end="2026-03-02T00:00:00Z",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["media_type"] == "text/plain"
    assert body["original_name"] == "app.log"
    assert body["captured_by"]["username"] == "engineer"
    assert body["period"] == {"start": "2026-03-01T00:00:00Z", "end": "2026-03-02T00:00:00Z"}
    assert body["download_url"].endswith(f"/api/v1/evidence/{body['id']}/download/")


def test_evidence_media_type_is_read_from_the_content(grc_client, users):
    incident = file_incident(users["grc"])
    body = upload_evidence(grc_client, incident, PNG_HEADER + b"\0" * 32, "notes.txt").json()
    assert body["media_type"] == "image/png"


def test_evidence_over_the_limit_is_413(grc_client, users, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    incident = file_incident(users["grc"])
    # Just over: the declared length is within the multipart allowance; the service refuses it.
    response = upload_evidence(grc_client, incident, b"x" * 11)
    assert response.status_code == 413
    assert response.json()["code"] == "evidence_too_large"
    assert "limited to 10 bytes" in response.json()["message"]
    # Far over: refused from Content-Length, before the body is read.
    response = upload_evidence(grc_client, incident, b"x" * (200 * 1024))
    assert response.status_code == 413
    assert "limited to 10 bytes" in response.json()["message"]
    assert Evidence.objects.count() == 0


def test_evidence_upload_needs_a_file_and_a_kind(grc_client, users):
    incident = file_incident(users["grc"])
    response = grc_client.post(
        detail(incident, "evidence/"), {"kind": "selfie"}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"file", "kind"}
    response = grc_client.post(detail(incident, "evidence/"), {"kind": "other"}, format="json")
    assert response.status_code == 415


def test_evidence_list_of_an_incident(grc_client, users):
    incident = file_incident(users["grc"])
    first = add_evidence(incident, users["grc"], b"one", "one.txt")
    second = add_evidence(incident, users["grc"], b"two", "two.txt")
    add_evidence(file_incident(users["grc"]), users["grc"], b"elsewhere")
    response = grc_client.get(detail(incident, "evidence/"))
    assert [e["id"] for e in response.json()["results"]] == [first.pk, second.pk]
    response = grc_client.get(f"/api/v1/evidence/?incident={incident.pk}")
    assert [e["id"] for e in response.json()["results"]] == [first.pk, second.pk]


def test_evidence_download_returns_the_bytes_and_logs_custody(users, api_client_for):
    incident = file_incident(users["grc"])
    content = b"exact bytes \x00\x01\x02"
    evidence = add_evidence(incident, users["grc"], content, "dump.bin")
    response = api_client_for(users["auditor"]).get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"] == 'attachment; filename="dump.bin"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Evidence-SHA256"] == hashlib.sha256(content).hexdigest()
    access = EvidenceAccess.objects.filter(evidence=evidence).order_by("at", "id")
    assert [(a.action, a.user.username, a.hash_verified) for a in access] == [
        (CustodyAction.UPLOADED, "grc", True),
        (CustodyAction.DOWNLOADED, "auditor", True),
    ]


def test_evidence_download_honours_an_octet_stream_accept_header(grc_client, users):
    evidence = add_evidence(file_incident(users["grc"]), users["grc"], b"bytes")
    response = grc_client.get(
        f"/api/v1/evidence/{evidence.pk}/download/", HTTP_ACCEPT="application/octet-stream"
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"bytes"


def test_tampered_evidence_is_not_served(grc_client, users):
    incident = file_incident(users["grc"])
    evidence = add_evidence(incident, users["grc"], b"the original")
    with open(evidence.file.path, "wb") as handle:
        handle.write(b"the forgery")
    response = grc_client.get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert response.status_code == 409
    assert response.json()["code"] == "evidence_integrity_failed"
    assert evidence.custody.filter(action=CustodyAction.INTEGRITY_FAILED).count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_evidence_is_never_changed_or_deleted(method, grc_client, users):
    evidence = add_evidence(file_incident(users["grc"]), users["grc"])
    response = getattr(grc_client, method)(
        f"/api/v1/evidence/{evidence.pk}/", {"description": "edited"}, format="json"
    )
    assert response.status_code == 405
    assert grc_client.post("/api/v1/evidence/", {}, format="json").status_code == 405
    evidence.refresh_from_db()
    assert evidence.description == ""


def test_an_unknown_or_malformed_id_is_404(grc_client):
    for url in (f"{INCIDENTS}999999/", f"{INCIDENTS}abc/", f"{INCIDENTS}abc/timeline/"):
        response = grc_client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


def test_incidents_are_never_deleted(grc_client, users):
    incident = file_incident(users["grc"])
    assert grc_client.delete(detail(incident)).status_code == 405


# --- notes and timeline ---------------------------------------------------------------------------------


def test_notes_and_the_timeline(users, system, api_client_for):
    incident = file_incident(users["grc"], systems=[system])
    client = api_client_for(users["engineer"])
    response = client.post(
        detail(incident, "notes/"), {"body": "Reproduced on staging."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["summary"] == "Reproduced on staging."
    assert response.json()["actor_display"] == str(users["engineer"])
    assert client.post(detail(incident, "notes/"), {"body": ""}, format="json").status_code == 400

    response = client.get(detail(incident, "timeline/"))
    assert response.status_code == 200
    entries = response.json()["results"]
    assert [e["kind"] for e in entries][:2] == ["created", "system"]
    assert entries[-1]["kind"] == "note" and entries[-1]["actor"]["username"] == "engineer"
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)


# --- ETag / If-Match ------------------------------------------------------------------------------------


def test_a_stale_if_match_is_refused_with_412(grc_client, users):
    incident = file_incident(users["grc"])
    etag = grc_client.get(detail(incident))["ETag"]
    first = grc_client.patch(
        detail(incident), {"title": "First edit"}, format="json", headers={"If-Match": etag}
    )
    assert first.status_code == 200
    assert first["ETag"] != etag
    stale = grc_client.patch(
        detail(incident), {"title": "Second edit"}, format="json", headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "stale_version"
    incident.refresh_from_db()
    assert incident.title == "First edit"
    fresh = grc_client.patch(
        detail(incident),
        {"title": "Second edit"},
        format="json",
        headers={"If-Match": first["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.json()["title"] == "Second edit"


def test_update_refuses_status_and_severity_and_points_to_their_actions(grc_client, users):
    incident = file_incident(users["grc"])
    response = grc_client.patch(
        detail(incident), {"status": "closed", "severity": 0}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "severity"}
    incident.refresh_from_db()
    assert (incident.status, incident.severity) == (Status.REPORTED, None)


def test_put_replaces_the_editable_record(grc_client, users):
    incident = file_incident(users["grc"])
    response = grc_client.put(
        detail(incident),
        payload(title="Replaced", scope="subset", detected_at=incident.detected_at.isoformat()),
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["scope"]) == ("Replaced", "subset")


# --- the register: filters, search, query count, export ------------------------------------------------


@pytest.fixture
def register(users, system, make_system):
    grc = users["grc"]
    other = make_system(name="Ranker")
    now = timezone.now()
    a = file_incident(
        grc,
        systems=[system],
        title="Loan model rejects valid postcodes",
        types=["bias"],
        severity=1,
        severity_reason="x",
        detected_at=now - timedelta(days=20),
    )
    b = file_incident(
        grc,
        systems=[other],
        title="Ranker latency",
        description="Timeouts under load",
        kind="near_miss",
        types=["performance"],
        detection_source="downstream_metric",
        severity=3,
        severity_reason="x",
        detected_at=now - timedelta(days=2),
    )
    c = file_incident(
        grc,
        title='=HYPERLINK("http://evil","click")',
        description="A formula in the title.",
        detection_source="",
    )
    services.incident_transition(actor=grc, incident=a, to="triaged")
    return {"a": a, "b": b, "c": c, "system": system, "other": other}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=triaged", {"a"}),
        ("status=reported", {"b", "c"}),
        ("severity=1", {"a"}),
        ("severity=1&severity=3", {"a", "b"}),
        ("kind=near_miss", {"b"}),
        ("type=bias", {"a"}),
        ("detection_source=downstream_metric", {"b"}),
        ("state=open", {"a", "b", "c"}),
        ("q=postcodes", {"a"}),
        ("q=timeouts", {"b"}),
        ("q=nothing-like-this", set()),
    ],
)
def test_register_filters(query, expected, register, grc_client):
    response = grc_client.get(f"{INCIDENTS}?{query}")
    assert response.status_code == 200, response.json()
    found = {r["reference"] for r in response.json()["results"]}
    assert found == {register[k].reference for k in expected}


def test_register_filters_by_system_date_and_reference(register, grc_client):
    refs = lambda r: {row["reference"] for row in r.json()["results"]}  # noqa: E731
    a, b = register["a"], register["b"]
    assert refs(grc_client.get(f"{INCIDENTS}?system={register['other'].pk}")) == {b.reference}
    since = (timezone.now() - timedelta(days=5)).isoformat().replace("+00:00", "Z")
    until = (timezone.now() - timedelta(days=10)).isoformat().replace("+00:00", "Z")
    assert refs(grc_client.get(f"{INCIDENTS}?detected_after={since}")) == {
        b.reference,
        register["c"].reference,
    }
    assert refs(grc_client.get(f"{INCIDENTS}?detected_before={until}")) == {a.reference}
    assert refs(grc_client.get(f"{INCIDENTS}?q={a.reference}")) == {a.reference}
    ordered = grc_client.get(f"{INCIDENTS}?ordering=severity&severity=1&severity=3")
    assert [r["reference"] for r in ordered.json()["results"]] == [a.reference, b.reference]


def test_an_invalid_filter_is_a_400(grc_client):
    response = grc_client.get(f"{INCIDENTS}?status=done")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


def test_register_rows_are_light(register, grc_client):
    row = grc_client.get(INCIDENTS).json()["results"][0]
    assert "checklist" not in row and "allowed_moves" not in row
    assert {"reference", "severity_label", "status", "systems", "lead", "url"} <= set(row)


def test_register_query_count_does_not_grow_with_incidents(
    users, make_system, grc_client, django_assert_max_num_queries
):
    grc = users["grc"]
    systems = [make_system(), make_system()]

    def file_some(n):
        for i in range(n):
            incident = file_incident(grc, systems=systems, title=f"Incident {i}")
            services.incident_assign_lead(actor=grc, incident=incident, lead=users["engineer"])

    file_some(3)
    with django_assert_max_num_queries(10) as small:
        assert grc_client.get(INCIDENTS).json()["count"] == 3
    file_some(22)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = grc_client.get(f"{INCIDENTS}?state=open&ordering=-detected")
    assert response.json()["count"] == 25


def test_incident_page_query_count_does_not_grow_with_its_record(
    users, make_user, make_system, grc_client, django_assert_max_num_queries
):
    grc = users["grc"]

    def incident_with(n):
        incident = file_incident(
            grc, systems=[make_system() for _ in range(n)], severity=2, severity_reason="x"
        )
        for i in range(n):
            add_evidence(incident, grc, f"item {i}".encode())
            services.participant_add(
                actor=grc, incident=incident, user=make_user("dpo"), part="scribe"
            )
            services.note_add(actor=grc, incident=incident, body=f"note {i}")
            services.containment_decide(
                actor=grc, incident=incident, option="pause", rationale=f"Stop {i}"
            )
        return incident

    small, large = incident_with(1), incident_with(4)
    with django_assert_max_num_queries(20) as baseline:
        assert grc_client.get(detail(small)).status_code == 200
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        body = grc_client.get(detail(large)).json()
    assert (len(body["affected_systems"]), body["evidence_count"]) == (4, 4)
    assert len(body["participants"]) == 4 and len(body["containment_decisions"]) == 4


def test_export_is_the_filtered_register_as_csv(register, grc_client):
    assert grc_client.get(f"{INCIDENTS}export/?kind=near_miss")["Location"] == (
        "/api/v1/register-exports/csv/?kind=near_miss"
    )
    response = grc_client.get(f"{INCIDENTS}export/", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="incident-register-')
    rows = csv_rows(response)
    assert rows[0] == [
        "Reference",
        "Title",
        "Kind",
        "Severity",
        "Status",
        "Detection source",
        "Detected at (UTC)",
        "Failure began at (UTC)",
        "Affected systems",
        "Lead",
        "Individuals affected (estimate)",
        "Individuals affected (confirmed)",
        "Harm flags",
        "Created at (UTC)",
        "CAPAs",
        "Root-cause category",
    ]
    by_ref = {row[0]: row for row in rows[1:]}
    assert set(by_ref) == {register[k].reference for k in "abc"}
    a = by_ref[register["a"].reference]
    assert a[2:6] == ["Incident", "P1", "Triaged", "Automated monitoring alert"]
    assert a[8] == register["system"].reference

    filtered = csv_rows(grc_client.get(f"{INCIDENTS}export/?kind=near_miss", follow=True))
    assert [row[0] for row in filtered[1:]] == [register["b"].reference]


def test_export_neutralises_formulas(register, grc_client):
    rows = csv_rows(grc_client.get(f"{INCIDENTS}export/?q={register['c'].reference}", follow=True))
    assert rows[1][1] == '\'=HYPERLINK("http://evil","click")'


def test_export_cell_neutralisation():
    from reporting.builders.register import neutralise

    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Plain title") == "Plain title"
    assert neutralise(None) == ""
    assert neutralise(42) == "42"


# --- who may do what: the permission matrix ------------------------------------------------------------

ALL_ROLES = [
    "grc",
    "risk_officer",
    "dpo",
    "legal",
    "ciso",
    "executive",
    "auditor",
    "engineer",
    "ethics",
]
MANAGERS = {"grc", "risk_officer"}
FILERS = MANAGERS | {"engineer", "dpo", "legal", "ciso"}
CONTRIBUTORS = FILERS
EXPORTERS = MANAGERS | {"dpo", "legal", "ciso", "executive", "auditor"}
# ethics sees only protected-channel incidents: the incident below answers it 404.
SEES_OWN_SYSTEM_INCIDENT = set(ALL_ROLES) - {"ethics"}


@pytest.fixture
def world(users, make_user, system, make_system):
    """An incident on the engineer's system (filed by GRC, with evidence) and a spare system."""
    grc = users["grc"]
    incident = file_incident(grc, systems=[system], severity=2, severity_reason="Subset")
    add_evidence(incident, grc)
    return {
        "incident": incident,
        "spare": make_system(business_owner=grc),  # nobody in the matrix owns it
        "helper": make_user("engineer"),
    }


def expect(allowed, refused_code=403, hidden=()):
    return lambda role, ok: ok if role in allowed else (404 if role in hidden else refused_code)


HIDDEN = {"ethics"}
ENDPOINTS = {
    "list": (lambda c, w: c.get(INCIDENTS), expect(set(ALL_ROLES)), 200),
    "retrieve": (
        lambda c, w: c.get(detail(w["incident"])),
        expect(SEES_OWN_SYSTEM_INCIDENT, 404),
        200,
    ),
    # Filing is open for any system, also one the filer does not own.
    "create": (
        lambda c, w: c.post(INCIDENTS, payload(systems=[w["spare"].reference]), format="json"),
        expect(FILERS),
        201,
    ),
    "update": (
        lambda c, w: c.patch(detail(w["incident"]), {"title": "Edited"}, format="json"),
        expect(MANAGERS, hidden=HIDDEN),
        200,
    ),
    "transition": (
        lambda c, w: c.post(detail(w["incident"], "transition/"), {"to": "triaged"}, format="json"),
        expect(MANAGERS, hidden=HIDDEN),
        200,
    ),
    "severity": (
        lambda c, w: c.post(
            detail(w["incident"], "severity/"), {"severity": 1, "reason": "Worse"}, format="json"
        ),
        expect(CONTRIBUTORS, hidden=HIDDEN),
        200,
    ),
    "notes": (
        lambda c, w: c.post(detail(w["incident"], "notes/"), {"body": "Seen"}, format="json"),
        expect(CONTRIBUTORS, hidden=HIDDEN),
        201,
    ),
    "timeline": (
        lambda c, w: c.get(detail(w["incident"], "timeline/")),
        expect(SEES_OWN_SYSTEM_INCIDENT, 404),
        200,
    ),
    "evidence-list": (
        lambda c, w: c.get(detail(w["incident"], "evidence/")),
        expect(SEES_OWN_SYSTEM_INCIDENT, 404),
        200,
    ),
    "evidence-upload": (
        lambda c, w: upload_evidence(c, w["incident"]),
        expect(CONTRIBUTORS, hidden=HIDDEN),
        201,
    ),
    "evidence-download": (
        lambda c, w: c.get(f"/api/v1/evidence/{w['incident'].evidence.get().pk}/download/"),
        expect(SEES_OWN_SYSTEM_INCIDENT, 404),
        200,
    ),
    "containment": (
        lambda c, w: c.post(
            detail(w["incident"], "containment/"),
            {"option": "pause", "rationale": "Stop"},
            format="json",
        ),
        expect(MANAGERS, hidden=HIDDEN),
        201,
    ),
    "evidence-waiver": (
        lambda c, w: c.post(
            detail(w["incident"], "evidence-waiver/"), {"reason": "Urgent"}, format="json"
        ),
        expect({"risk_officer"}, hidden=HIDDEN),
        201,
    ),
    "lead": (
        lambda c, w: c.post(
            detail(w["incident"], "lead/"), {"user": w["helper"].pk}, format="json"
        ),
        expect(MANAGERS, hidden=HIDDEN),
        200,
    ),
    "participants": (
        lambda c, w: c.post(
            detail(w["incident"], "participants/"),
            {"user": w["helper"].pk, "part": "scribe"},
            format="json",
        ),
        expect(MANAGERS, hidden=HIDDEN),
        201,
    ),
    "systems": (
        lambda c, w: c.post(
            detail(w["incident"], "systems/"), {"system": w["spare"].reference}, format="json"
        ),
        expect(MANAGERS, hidden=HIDDEN),
        201,
    ),
    "recent-changes": (
        lambda c, w: c.get(detail(w["incident"], "recent-changes/")),
        expect(SEES_OWN_SYSTEM_INCIDENT, 404),
        200,
    ),
    "similar": (lambda c, w: c.get(f"{INCIDENTS}similar/?q=loan"), expect(set(ALL_ROLES)), 200),
    "export": (lambda c, w: c.get(f"{INCIDENTS}export/", follow=True), expect(EXPORTERS), 200),
}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_permission_matrix(endpoint, role, world, users, api_client_for):
    call, expected, ok = ENDPOINTS[endpoint]
    response = call(api_client_for(users[role]), world)
    assert response.status_code == expected(role, ok), getattr(response, "data", response)
    if response.status_code in (403, 404):
        assert response.json()["message"]


def test_refused_writes_change_nothing(world, users, api_client_for):
    incident = world["incident"]
    before = incident.timeline.count()
    client = api_client_for(users["auditor"])
    client.post(detail(incident, "notes/"), {"body": "x"}, format="json")
    client.post(detail(incident, "transition/"), {"to": "triaged"}, format="json")
    client.patch(detail(incident), {"title": "Edited"}, format="json")
    upload_evidence(client, incident)
    incident.refresh_from_db()
    assert (incident.status, incident.title, incident.evidence.count()) == (
        Status.REPORTED,
        "Loan model rejects valid applications",
        1,
    )
    assert incident.timeline.count() == before


def test_engineers_see_incidents_of_their_systems_and_their_own_reports_only(
    users, make_user, make_system, api_client_for
):
    engineer, grc = users["engineer"], users["grc"]
    mine = file_incident(grc, systems=[make_system()])  # business owner: engineer
    technical = file_incident(
        grc, systems=[make_system(business_owner=grc, technical_owner=engineer)]
    )
    reported = file_incident(engineer, systems=[make_system(business_owner=grc)])
    hidden = file_incident(grc, systems=[make_system(business_owner=grc)])
    client = api_client_for(engineer)
    listed = {r["reference"] for r in client.get(INCIDENTS).json()["results"]}
    assert listed == {mine.reference, technical.reference, reported.reference}
    assert client.get(detail(hidden)).status_code == 404
    assert client.get(detail(hidden, "timeline/")).status_code == 404
    assert client.post(detail(hidden, "notes/"), {"body": "x"}, format="json").status_code == 404
    exported = {
        row[0]
        for row in csv_rows(
            api_client_for(users["auditor"]).get(f"{INCIDENTS}export/", follow=True)
        )[1:]
    }
    assert hidden.reference in exported
    evidence = add_evidence(hidden, grc)
    assert client.get(f"/api/v1/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/api/v1/evidence/{evidence.pk}/download/").status_code == 404
    assert client.get("/api/v1/evidence/").json()["count"] == 0


def test_an_engineer_who_leads_moves_the_lifecycle(world, users, api_client_for):
    incident = world["incident"]
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=users["engineer"])
    client = api_client_for(users["engineer"])
    response = client.post(detail(incident, "transition/"), {"to": "triaged"}, format="json")
    assert response.status_code == 200
    assert {m["to"] for m in response.json()["allowed_moves"]} == {
        "contained",
        "investigating",
        "rejected",
    }


def test_a_restricted_incident_is_seen_only_by_participants_and_grc(
    users, make_user, system, api_client_for
):
    grc = users["grc"]
    incident = file_incident(grc, systems=[system], restricted=True)
    for role in ("risk_officer", "auditor", "executive", "dpo", "engineer"):
        client = api_client_for(users[role])
        assert client.get(detail(incident)).status_code == 404, role
        assert incident.reference not in {
            r["reference"] for r in client.get(INCIDENTS).json()["results"]
        }
    assert api_client_for(grc).get(detail(incident)).status_code == 200
    services.participant_add(
        actor=grc, incident=incident, user=users["risk_officer"], part="subject_expert"
    )
    assert api_client_for(users["risk_officer"]).get(detail(incident)).status_code == 200
    assert api_client_for(users["auditor"]).get(detail(incident)).status_code == 404


def test_users_without_a_role_get_403_and_anonymous_401(api_client_for, users):
    from aims.accounts.models import User

    incident = file_incident(users["grc"])
    nobody = User.objects.create_user("nobody", password="x-Secret-99")
    client = api_client_for(nobody)
    for response in (
        client.get(INCIDENTS),
        client.post(INCIDENTS, payload(), format="json"),
        client.get(detail(incident)),
        client.get("/api/v1/evidence/"),
    ):
        assert response.status_code == 403
        assert "no role" in response.json()["message"]
    anonymous = api_client_for(None)
    for response in (
        anonymous.get(INCIDENTS),
        anonymous.post(INCIDENTS, payload(), format="json"),
        anonymous.get(f"{INCIDENTS}export/"),
        anonymous.get("/api/v1/evidence/"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_recording_the_leadership_notice_through_the_api_meets_its_clock(
    users, api_client_for, make_system
):
    from aims.clocks.services import clocks_of

    incident = file_incident(
        users["grc"], systems=[make_system()], severity=1, severity_reason="Wide"
    )
    leadership = clocks_of(incident).get(kind="leadership")
    client = api_client_for(users["grc"])
    plain = client.post(
        detail(incident, "notifications/"),
        {"recipients": "CISO", "channel": "phone"},
        format="json",
    )
    assert plain.status_code == 201 and "Notified CISO by phone" in plain.json()["summary"]
    leadership.refresh_from_db()
    assert leadership.met_at is None
    notice = client.post(
        detail(incident, "notifications/"),
        {"recipients": "Executive team", "channel": "meeting", "leadership": True},
        format="json",
    )
    assert notice.status_code == 201
    leadership.refresh_from_db()
    assert leadership.met_at is not None
    refused = api_client_for(users["auditor"]).post(
        detail(incident, "notifications/"), {"recipients": "x", "channel": "y"}, format="json"
    )
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "Only GRC staff, the AI risk officer and the incident lead record notifications."
    )
