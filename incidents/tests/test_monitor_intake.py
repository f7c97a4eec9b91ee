"""Drift and quality monitors report to their own intakes in their own formats — Alibi Detect's
detector output (bare, or as Seldon's CloudEvent in structured or binary mode) and Evidently's
test-suite and report JSON — and the body as received becomes the incident's evidence."""

import hashlib
import json

import pytest

from incidents.choices import DetectionSource
from incidents.models import AlertLink, Evidence, Incident

ALIBI = "/api/v1/alerts/alibi-detect/"
EVIDENTLY = "/api/v1/alerts/evidently/"

pytestmark = pytest.mark.django_db


def ks_drift(is_drift=1, **meta):
    """An Alibi Detect KSDrift ``predict()`` output, as the library returns it."""
    return {
        "data": {
            "is_drift": is_drift,
            "distance": [0.41, 0.08],
            "p_val": [0.0004, 0.31],
            "threshold": 0.025,
        },
        "meta": {
            "name": "KSDrift",
            "online": False,
            "data_type": "tabular",
            "version": "0.12.0",
            "detector_type": "drift",
            **meta,
        },
    }


def suite(*statuses, ai_system=None):
    """An Evidently ``TestSuite.json()``: one test per status."""
    tests = [
        {
            "name": f"Share of drifted columns {i}",
            "description": f"The share of drifted columns is {0.4 if s == 'FAIL' else 0.1}.",
            "status": s,
            "group": "data_drift",
        }
        for i, s in enumerate(statuses)
    ]
    return {
        "tests": tests,
        "summary": {
            "all_passed": "FAIL" not in statuses,
            "total_tests": len(statuses),
            "success_tests": statuses.count("SUCCESS"),
            "failed_tests": statuses.count("FAIL"),
            "by_status": {s: statuses.count(s) for s in set(statuses)},
        },
        "timestamp": "2026-03-02T08:00:00",
        "metadata": {"name": "nightly-drift", **({"ai_system": ai_system} if ai_system else {})},
    }


@pytest.fixture
def system(make_system, users):
    return make_system(name="Credit scoring", business_owner=users["engineer"])


@pytest.fixture
def monitor(api_client_for, users):
    return api_client_for(users["engineer"])


def send(client, url, body, content_type="application/json", **headers):
    raw = json.dumps(body).encode()
    return client.post(url, data=raw, content_type=content_type, headers=headers), raw


def test_a_drift_report_opens_an_incident_with_the_report_as_evidence(monitor, system):
    answer, raw = send(monitor, f"{ALIBI}?system={system.reference}", ks_drift())

    assert answer.status_code == 200, answer.content
    (reference,) = answer.json()["opened"]
    incident = Incident.objects.get(reference=reference)
    assert incident.detection_source == DetectionSource.MONITORING
    assert incident.title == "KSDrift detected drift on Credit scoring"
    assert "p-value: 0.0004" in incident.description and "threshold: 0.025" in incident.description
    (evidence,) = incident.evidence.all()
    assert evidence.kind == "monitor_report" and evidence.period_end is not None
    assert evidence.sha256 == hashlib.sha256(raw).hexdigest()
    with evidence.file.open("rb") as stored:
        assert stored.read() == raw  # byte for byte as the detector sent it
    assert incident.evidence_preserved_at is not None  # the guard "evidence first" is met


def test_the_same_detector_again_joins_the_incident_and_a_clean_run_resolves_it(monitor, system):
    url = f"{ALIBI}?system={system.reference}"
    (reference,) = send(monitor, url, ks_drift())[0].json()["opened"]
    again = send(monitor, url, ks_drift())[0].json()
    clean = send(monitor, url, ks_drift(is_drift=0))[0].json()

    assert again["updated"] == [reference] and clean["resolved"] == [reference]
    assert Incident.objects.count() == 1
    assert Evidence.objects.filter(incident__reference=reference).count() == 3
    assert AlertLink.objects.get().state == "resolved"
    # A clean run with nothing open is ignored, and preserves nothing.
    assert send(monitor, url, ks_drift(is_drift=0))[0].json()["ignored"] == 1
    assert Evidence.objects.count() == 3


def test_seldon_cloudevents_in_structured_and_binary_mode_are_one_alert(monitor, system):
    structured = {
        "specversion": "1.0",
        "id": "5b1f6e1a",
        "source": "seldon/credit-drift",
        "type": "io.seldon.serving.inference.drift",
        "time": "2026-03-02T08:00:00Z",
        "aisystem": system.reference,
        "data": ks_drift(),
    }
    first, raw = send(monitor, ALIBI, structured, content_type="application/cloudevents+json")
    assert first.status_code == 200, first.content
    (reference,) = first.json()["opened"]
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(raw).hexdigest()
    assert f"{evidence.period_end:%Y-%m-%dT%H:%M}" == "2026-03-02T08:00"

    binary, _ = send(
        monitor,
        ALIBI,
        ks_drift(),
        ce_specversion="1.0",
        ce_id="5b1f6e1b",
        ce_source="seldon/credit-drift",
        ce_type="io.seldon.serving.inference.drift",
        ce_aisystem=system.reference,
    )
    assert binary.json()["updated"] == [reference]


def test_an_evidently_suite_with_failed_tests_opens_and_a_passing_one_resolves(monitor, system):
    opened, raw = send(monitor, EVIDENTLY, suite("SUCCESS", "FAIL", "FAIL", ai_system="AIS-0001"))
    assert opened.status_code == 200, opened.content
    (reference,) = opened.json()["opened"]
    incident = Incident.objects.get(reference=reference)
    assert incident.title == "nightly-drift: 2 failed on Credit scoring"
    assert "2 of 3 tests failed" in incident.description
    assert "The share of drifted columns is 0.4." in incident.description
    assert incident.evidence.get().sha256 == hashlib.sha256(raw).hexdigest()

    passed, _ = send(monitor, f"{EVIDENTLY}?system={system.reference}", suite("SUCCESS"))
    assert passed.json()["resolved"] == [reference]


def test_an_evidently_report_with_dataset_drift_opens_an_incident(monitor, system):
    report = {
        "metrics": [
            {
                "metric": "DatasetDriftMetric",
                "result": {
                    "dataset_drift": True,
                    "number_of_columns": 12,
                    "number_of_drifted_columns": 7,
                    "share_of_drifted_columns": 0.583,
                },
            }
        ],
        "timestamp": "2026-03-02T08:00:00",
    }
    answer, _ = send(monitor, f"{EVIDENTLY}?system={system.reference}", report)
    (reference,) = answer.json()["opened"]
    assert "DatasetDriftMetric: 58% of columns drifted" in (
        Incident.objects.get(reference=reference).description
    )


@pytest.mark.parametrize(
    "url,body,message",
    [
        (f"{ALIBI}?system=AIS-0001", {"meta": {"name": "KSDrift"}}, "data.is_drift is required"),
        (f"{ALIBI}?system=AIS-0001", {"data": {"is_drift": "yes"}}, "0/1 or true/false"),
        (f"{ALIBI}?system=AIS-9999", ks_drift(), "unknown AI system 'AIS-9999'"),
        (ALIBI, ks_drift(), "the system (?system="),
        (f"{EVIDENTLY}?system=AIS-0001", {"name": "x"}, "test suite (tests) or report"),
        (f"{EVIDENTLY}?system=AIS-0001", ["not", "an", "object"], "JSON object"),
        (f"{ALIBI}?system=AIS-0001", ks_drift(name="Bad\u0000name"), "NUL"),
    ],
)
def test_what_cannot_be_read_is_refused_with_what_is_wrong_and_saves_nothing(
    monitor, system, url, body, message
):
    answer, _ = send(monitor, url, body)
    assert answer.status_code == 400, answer.content
    assert message in answer.json()["message"]
    assert (Incident.objects.count(), Evidence.objects.count()) == (0, 0)


def test_a_body_that_is_not_json_is_refused(monitor, system):
    answer = monitor.post(ALIBI, data=b"{not json", content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "validation_failed"


@pytest.mark.parametrize("role,allowed", [("engineer", True), ("auditor", False), ("dpo", False)])
def test_only_alert_posters_may_send_reports(api_client_for, make_user, system, role, allowed):
    answer, _ = send(
        api_client_for(make_user(role)), f"{ALIBI}?system={system.reference}", ks_drift()
    )
    assert answer.status_code == (200 if allowed else 403)
    assert Incident.objects.exists() is allowed


def test_a_second_monitor_account_preserves_its_report_on_the_incident_another_opened(
    api_client_for, make_user, monitor, system
):
    url = f"{ALIBI}?system={system.reference}"
    (reference,) = send(monitor, url, ks_drift())[0].json()["opened"]
    other = api_client_for(make_user("engineer"))  # owns nothing, took no part
    answer, raw = send(other, url, ks_drift())
    assert answer.json()["updated"] == [reference]
    assert Evidence.objects.filter(sha256=hashlib.sha256(raw).hexdigest()).count() == 2
