"""Inbound PagerDuty webhooks (v3): signed bodies, recorded once on the matching incident."""

import hashlib
import hmac
import json

import pytest
from rest_framework.test import APIClient

from incidents.models import PagerWebhookEvent, TimelineEntry
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/paging/pagerduty/"
SECRET = "pd-webhook-signing-secret-0123456789"


@pytest.fixture
def enabled(settings):
    settings.PAGERDUTY_WEBHOOK_SECRET = SECRET


@pytest.fixture
def incident(users, make_system):
    return file_incident(users["grc"], systems=[make_system()], severity=0, severity_reason="x")


def envelope(incident_key, *, event_id="01DEN3K7ZDNQ2ELWBG3BPBNXAY", kind="incident.acknowledged"):
    return {
        "event": {
            "id": event_id,
            "event_type": kind,
            "resource_type": "incident",
            "occurred_at": "2026-11-16T09:04:00.000Z",
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "summary": "Dana Oncall",
                "type": "user_reference",
            },
            "client": {"name": "PagerDuty"},
            "data": {
                "id": "Q2W3E4R5T6",
                "type": "incident",
                "html_url": "https://acme.pagerduty.com/incidents/Q2W3E4R5T6",
                "number": 42,
                "status": "acknowledged",
                "incident_key": incident_key,
                "title": "P0 drift",
            },
        }
    }


def sign(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_PAGERDUTY_SIGNATURE": signature}
    return APIClient().post(URL, body, content_type="application/json", **headers)


def pages(incident):
    return list(
        TimelineEntry.objects.filter(incident=incident, kind="page").values_list(
            "summary", flat=True
        )
    )


def test_an_acknowledgement_goes_on_the_timeline_once(enabled, incident):
    body = json.dumps(envelope(incident.reference)).encode()
    response = post(body, sign(body))
    assert response.status_code == 202, response.json()
    assert response.json() == {
        "status": "recorded",
        "incident": incident.reference,
        "detail": "",
    }
    assert pages(incident) == ["PagerDuty: page acknowledged by Dana Oncall"]
    entry = TimelineEntry.objects.get(incident=incident, kind="page")
    assert entry.actor_label == "PagerDuty by Dana Oncall"
    assert entry.data["html_url"] == "https://acme.pagerduty.com/incidents/Q2W3E4R5T6"
    again = post(body, sign(body))
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert len(pages(incident)) == 1 and PagerWebhookEvent.objects.count() == 1


def test_a_resolution_and_a_reassignment_are_recorded_too(enabled, incident):
    for n, kind in enumerate(("incident.reassigned", "incident.resolved")):
        body = json.dumps(envelope(incident.reference, event_id=f"E{n}", kind=kind)).encode()
        assert post(body, sign(body)).json()["status"] == "recorded"
    assert pages(incident) == [
        "PagerDuty: page reassigned by Dana Oncall",
        "PagerDuty: page resolved by Dana Oncall",
    ]


def test_any_of_several_signatures_verifies_during_a_secret_rotation(enabled, incident):
    body = json.dumps(envelope(incident.reference)).encode()
    header = f"{sign(body, 'the-old-secret')},{sign(body)}"
    assert post(body, header).status_code == 202
    assert len(pages(incident)) == 1


@pytest.mark.parametrize(
    "signature",
    [None, "", "v1=" + "0" * 64, "v0=whatever", "sha256=abc"],
    ids=["missing", "empty", "wrong", "unknown-version", "other-scheme"],
)
def test_a_bad_signature_is_refused_and_records_nothing(enabled, incident, signature):
    body = json.dumps(envelope(incident.reference)).encode()
    response = post(body, signature)
    assert response.status_code == 401
    assert response.json()["code"] == "signature_invalid"
    assert "X-PagerDuty-Signature" in response.json()["message"]
    assert pages(incident) == [] and PagerWebhookEvent.objects.count() == 0


def test_a_body_signed_with_another_secret_is_refused(enabled, incident):
    body = json.dumps(envelope(incident.reference)).encode()
    assert post(body, sign(body, "someone-else")).status_code == 401
    assert post(body, sign(body)).status_code == 202  # positive control


def test_an_unknown_incident_key_is_accepted_and_ignored(enabled, incident):
    body = json.dumps(envelope("INC-1999-0001")).encode()
    response = post(body, sign(body))
    assert response.status_code == 202
    assert response.json()["status"] == "ignored" and response.json()["incident"] is None
    assert PagerWebhookEvent.objects.count() == 0


def test_a_ping_and_a_service_event_are_ignored(enabled, incident):
    for payload in (
        {"event": {"id": "P1", "event_type": "pagey.ping", "resource_type": "pagey", "data": {}}},
        {
            "event": {
                "id": "S1",
                "event_type": "service.updated",
                "resource_type": "service",
                "data": {"id": "PF9KMXH", "type": "service"},
            }
        },
    ):
        body = json.dumps(payload).encode()
        response = post(body, sign(body))
        assert response.status_code == 202 and response.json()["status"] == "ignored"
    assert pages(incident) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"event": "x"}',
        b'{"event": {"id": 5, "event_type": "incident.acknowledged"}}',
        b'{"event": {"id": "a", "event_type": ""}}',
        b'{"event": {"id": "a", "event_type": "incident.acknowledged", "data": []}}',
    ],
)
def test_a_signed_body_of_the_wrong_shape_is_a_400_that_says_what_is_wrong(enabled, body):
    response = post(body, sign(body))
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_failed" and response.json()["message"]


def test_without_a_signing_secret_the_endpoint_is_off(settings, incident):
    settings.PAGERDUTY_WEBHOOK_SECRET = ""
    body = json.dumps(envelope(incident.reference)).encode()
    response = post(body, sign(body))
    assert response.status_code == 404
    assert "PAGERDUTY_WEBHOOK_SECRET" in response.json()["message"]
    assert pages(incident) == []


def test_a_body_that_is_not_json_by_its_media_type_is_a_415(enabled, incident):
    body = json.dumps(envelope(incident.reference)).encode()
    response = APIClient().post(
        URL, body, content_type="text/plain", HTTP_X_PAGERDUTY_SIGNATURE=sign(body)
    )
    assert response.status_code == 415 and response.json()["message"]
    assert pages(incident) == []
