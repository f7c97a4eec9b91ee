"""The root cause, scope and remediation of an incident over the REST API: the whole path
from a candidate to "normal operation restored", each refusal with its status and words."""

import pytest

from incidents.tests.factories import add_evidence, file_incident

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def incident(users, make_system):
    system = make_system(name="Loan scoring")  # the engineer owns it
    incident = file_incident(users["grc"], systems=[system], severity=1, severity_reason="Many")
    add_evidence(incident, users["grc"])
    return incident


@pytest.fixture
def hidden(users, make_system, make_user):
    """An incident the engineer may not see (a system someone else owns)."""
    system = make_system(name="Chat", business_owner=make_user("engineer"))
    return file_incident(users["grc"], systems=[system])


def test_from_candidate_to_confirmed_root_cause(incident, users, api_client_for):
    grc, engineer = api_client_for(users["grc"]), api_client_for(users["engineer"])
    answer = grc.post(
        f"{V1}/incidents/{incident.pk}/root-causes/",
        {"category": "integration_bug", "statement": "The parser drops non-EU postcodes."},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    cause = answer.json()["id"]
    assert answer.json()["status"] == "considered"
    confirm = grc.post(f"{V1}/root-causes/{cause}/confirm/")
    assert confirm.status_code == 409
    assert "the five-whys chain" in confirm.json()["message"]
    assert (
        grc.post(
            f"{V1}/root-causes/{cause}/whys/",
            {"question": "Why empty?", "answer": "The regex expects digits only."},
            format="json",
        ).status_code
        == 201
    )
    # The engineer who owns the system adds the diagnostic and links the evidence …
    diag = engineer.post(
        f"{V1}/root-causes/{cause}/diagnostics/",
        {
            "method": "failing_case_trace",
            "description": "Traced application 4411.",
            "result": "Postcode empty at the scoring call.",
            "outcome": "supports",
        },
        format="json",
    )
    assert diag.status_code == 201, diag.content
    evidence = incident.evidence.get()
    linked = engineer.post(
        f"{V1}/root-causes/{cause}/evidence/", {"evidence": evidence.pk}, format="json"
    )
    assert linked.status_code == 201, linked.content
    assert linked.json()["evidence_links"][0]["sha256"] == evidence.sha256
    # … but does not confirm it.
    refused = engineer.post(f"{V1}/root-causes/{cause}/confirm/")
    assert refused.status_code == 403
    assert "confirm or rule out a root cause" in refused.json()["message"]
    stale = grc.post(f"{V1}/root-causes/{cause}/confirm/", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    etag = grc.get(f"{V1}/root-causes/{cause}/")["ETag"]
    confirmed = grc.post(f"{V1}/root-causes/{cause}/confirm/", HTTP_IF_MATCH=etag)
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    auditor = api_client_for(users["auditor"])
    rows = auditor.get(f"{V1}/incidents/{incident.pk}/root-causes/").json()
    assert [r["status"] for r in rows] == ["confirmed"]
    detail = auditor.get(f"{V1}/incidents/{incident.pk}/").json()
    assert detail["milestones"]["root_cause_confirmed_at"] is not None


def test_auditors_read_and_change_nothing(incident, users, api_client_for):
    auditor = api_client_for(users["auditor"])
    answer = auditor.post(
        f"{V1}/incidents/{incident.pk}/root-causes/",
        {"category": "other", "statement": "x"},
        format="json",
    )
    assert answer.status_code == 403
    assert answer.json()["message"] == (
        "Only GRC staff, the AI risk officer and the incident lead write the root-cause analysis."
    )
    assert auditor.get(f"{V1}/incidents/{incident.pk}/remediation/").status_code == 200
    assert auditor.get(f"{V1}/incidents/{incident.pk}/scope/").status_code == 404
    assert auditor.get(f"{V1}/incidents/{incident.pk}/recurrences/").json() == []


def test_an_incident_the_caller_cannot_see_is_not_found(hidden, users, api_client_for):
    engineer = api_client_for(users["engineer"])
    for path in ("root-causes/", "scope/", "remediation/", "recurrences/"):
        assert engineer.get(f"{V1}/incidents/{hidden.pk}/{path}").status_code == 404


SCOPE = {
    "period_start": "2026-11-01T00:00:00Z",
    "period_end": "2026-11-03T00:00:00Z",
    "population": 1000,
    "classification_rule": "Rejected with an empty postcode.",
    "sample_size": 100,
    "sample_failures": 4,
    "confirmed_count": 40,
    "lower_bound": 30,
    "upper_bound": 55,
}


def test_scope_estimate_then_confirmed_with_bounds_checked(incident, users, api_client_for):
    grc = api_client_for(users["grc"])
    url = f"{V1}/incidents/{incident.pk}/scope/"
    bad = grc.put(url, {**SCOPE, "upper_bound": 2000, "confirm": True}, format="json")
    assert bad.status_code == 400
    assert "upper bound cannot exceed the decisions processed" in bad.json()["message"]
    no_note = grc.put(url, {**SCOPE, "confirm": False}, format="json")
    assert no_note.status_code == 400 and "uncertain" in no_note.json()["message"]
    estimate = grc.put(
        url, {**SCOPE, "confirm": False, "uncertainty_note": "Day 2 logs missing."}, format="json"
    )
    assert estimate.status_code == 200, estimate.content
    assert (estimate.json()["status"], estimate.json()["percentage"]) == ("estimate", "4.000")
    stale = grc.put(url, {**SCOPE, "confirm": True}, format="json", HTTP_IF_MATCH='"old"')
    assert stale.status_code == 412
    confirmed = grc.put(
        url, {**SCOPE, "confirm": True}, format="json", HTTP_IF_MATCH=estimate["ETag"]
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert (
        api_client_for(users["engineer"])
        .put(url, {**SCOPE, "confirm": True}, format="json")
        .status_code
        == 403
    )


def test_remediation_plan_counts_and_restore(incident, users, api_client_for):
    grc = api_client_for(users["grc"])
    base = f"{V1}/incidents/{incident.pk}/remediation/"
    item = grc.post(
        f"{base}items/",
        {
            "horizon": "immediate",
            "kind": "rollback",
            "description": "Roll back the parser.",
            "owner": users["engineer"].pk,
            "due_on": "2026-12-03",
        },
        format="json",
    )
    assert item.status_code == 201, item.content
    item_id = item.json()["items"][0]["id"]
    done = api_client_for(users["engineer"]).post(
        f"{V1}/remediation-items/{item_id}/done/", {"note": "Rolled back."}, format="json"
    )
    assert done.status_code == 200 and done.json()["items"][0]["done_at"]
    counts = {"affected_cases": 40, "reprocessed_cases": 30, "outcome_changed_cases": 12}
    wrong = grc.put(f"{base}reprocessing/", {**counts, "remaining_cases": 5}, format="json")
    assert wrong.status_code == 400 and "leaves 10 remaining, not 5" in wrong.json()["message"]
    right = grc.put(f"{base}reprocessing/", counts, format="json")
    assert right.json()["remaining_cases"] == 10
    early = grc.post(f"{base}restore/", {"note": "Back to normal."}, format="json")
    assert early.status_code == 409
    assert "verified on the failing input types" in early.json()["message"]
    grc.post(f"{base}verify/", {"verification": "Replayed 40 failing inputs."}, format="json")
    restored = grc.post(f"{base}restore/", {"note": "Back to normal."}, format="json")
    assert restored.status_code == 200 and restored.json()["restored_at"]


def test_the_register_filters_recurrences(incident, users, api_client_for):
    answer = api_client_for(users["grc"]).get(f"{V1}/incidents/?recurrence=true")
    assert answer.status_code == 200
    assert answer.json()["results"] == []
