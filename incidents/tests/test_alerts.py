"""Alert intake: Alertmanager webhook (payload version 4) and the generic JSON intake.

Data is set up through the real services; the endpoints are called as monitoring tools call
them, with an engineer service account's token.
"""

import copy
import json
import threading
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aims.accounts.choices import Role
from aims.accounts.services import user_token
from incidents import services
from incidents.choices import AlertState, DetectionSource, Severity, Status, TimelineKind
from incidents.models import AffectedSystem, AlertLink, Incident, TimelineEntry
from incidents.tests.factories import decide_no_capa, sign_off_disclosure
from inventory import services as inventory_services

ALERTMANAGER_URL = "/api/v1/alerts/alertmanager/"
GENERIC_URL = "/api/v1/alerts/generic/"
ROLES = Role.values
MAY_POST = {"grc", "risk_officer", "engineer"}


def iso(moment) -> str:
    """RFC 3339 with nanoseconds, as Alertmanager (Go) writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def alertmanager_payload(system_ref, *, status="firing", started=None, ended=None) -> dict:
    """What Alertmanager posts for a group of two alerts on one AI system."""
    started = started or timezone.now() - timedelta(minutes=12)
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": "ChatbotToxicityHigh",
                "ai_system": system_ref,
                "severity": "critical",
                "instance": "chatbot-7f9c:9102",
                "job": "chatbot-quality",
            },
            "annotations": {
                "summary": "Toxic answers above 2% for 10 minutes",
                "description": "The toxicity classifier flags 3.1% of chatbot answers (threshold 2%).",
            },
            "startsAt": iso(started),
            "endsAt": iso(ended) if ended else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com/graph?g0.expr=toxicity_ratio+%3E+0.02",
            "fingerprint": "5e7d1c0f9a3b2e41",
        },
        {
            "status": status,
            "labels": {
                "alertname": "ChatbotLatencyDrift",
                "ai_system": system_ref,
                "severity": "warning",
                "job": "chatbot-quality",
            },
            "annotations": {"summary": "p95 latency drifted above 4 s"},
            "startsAt": iso(started),
            "endsAt": iso(ended) if ended else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com/graph?g0.expr=latency_p95",
            "fingerprint": "a90c44e1d2f03b77",
        },
    ]
    return {
        "version": "4",
        "groupKey": '{}/{job="chatbot-quality"}:{ai_system="' + system_ref + '"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "aims-register",
        "groupLabels": {"ai_system": system_ref},
        "commonLabels": {"ai_system": system_ref, "job": "chatbot-quality"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": alerts,
    }


@pytest.fixture
def system(make_system, users):
    """An AI system owned by the engineer, with a version in production (pinned on incidents)."""
    system = make_system(name="Support chatbot", business_owner=users["engineer"])
    version = inventory_services.model_version_create(
        actor=users["grc"],
        system=system,
        data={"version_label": "v3", "artifact_digest": "sha256:abc123"},
    )
    inventory_services.deployment_record(
        actor=users["grc"],
        system=system,
        data={
            "model_version": version,
            "deployed_at": timezone.now() - timedelta(days=2),
            "change_type": "deploy",
        },
    )
    return system


@pytest.fixture
def monitor(api_client_for, users):
    """Alertmanager, authenticated as the engineer service account."""
    return api_client_for(users["engineer"])


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


def counts():
    return (Incident.objects.count(), AlertLink.objects.count(), TimelineEntry.objects.count())


def close(incident, actor):
    """Drive an incident to closed through the lifecycle services, guards satisfied."""
    incident = services.incident_update(
        actor=actor,
        incident=incident,
        data={
            "verification_note": "Replayed the flagged prompts: no toxic answers.",
            "closing_summary": "Filter threshold restored.",
        },
    )
    for to in (Status.TRIAGED, Status.INVESTIGATING, Status.RESOLVED):
        incident = services.incident_transition(
            actor=actor, incident=incident, to=to, reason="No traffic affected; test step."
        )
    sign_off_disclosure(incident, actor)
    decide_no_capa(incident, actor)
    return services.incident_transition(actor=actor, incident=incident, to=Status.CLOSED)


# --- Alertmanager ------------------------------------------------------------------------


@pytest.mark.django_db
class TestAlertmanagerIntake:
    def test_first_firing_opens_one_incident_per_alert(self, monitor, system, users):
        started = timezone.now() - timedelta(minutes=12)
        payload = alertmanager_payload(system.reference, started=started)

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["opened"]) == 2
        assert body["updated"] == [] and body["resolved"] == [] and body["ignored"] == 0
        toxic = Incident.objects.get(reference=body["opened"][0])
        latency = Incident.objects.get(reference=body["opened"][1])
        assert toxic.detection_source == DetectionSource.MONITORING
        assert toxic.severity == Severity.P0  # label severity=critical
        assert latency.severity == Severity.P2  # label severity=warning
        assert toxic.title == "Toxic answers above 2% for 10 minutes"
        assert latency.title == "p95 latency drifted above 4 s"
        assert "3.1% of chatbot answers" in toxic.description
        assert "instance: chatbot-7f9c:9102" in toxic.description
        assert toxic.reporter_label == "Alertmanager"
        assert toxic.reported_by == users["engineer"]
        assert toxic.status == Status.REPORTED
        assert toxic.links == [
            {"label": "Alert source", "url": payload["alerts"][0]["generatorURL"]}
        ]
        assert toxic.detected_at == started  # startsAt, nanoseconds truncated
        affected = AffectedSystem.objects.get(incident=toxic)
        assert affected.system == system
        assert affected.model_version.version_label == "v3"  # pinned at detection
        assert affected.artifact_digest == "sha256:abc123"
        link = AlertLink.objects.get(incident=toxic)
        assert (link.source, link.fingerprint, link.state, link.occurrences) == (
            "alertmanager",
            "5e7d1c0f9a3b2e41",
            AlertState.FIRING,
            1,
        )
        assert link.alert_name == "ChatbotToxicityHigh"
        assert toxic.timeline.filter(kind=TimelineKind.ALERT).count() == 1
        severity_entry = toxic.timeline.get(kind=TimelineKind.SEVERITY)
        assert "Suggested by the alert's severity label" in severity_entry.summary

    def test_same_fingerprint_again_joins_the_open_incident(self, monitor, system):
        first = post(monitor, ALERTMANAGER_URL, alertmanager_payload(system.reference)).json()
        before = Incident.objects.count()

        response = post(monitor, ALERTMANAGER_URL, alertmanager_payload(system.reference))

        assert response.status_code == 200
        assert response.json()["opened"] == []
        assert response.json()["updated"] == first["opened"]
        assert Incident.objects.count() == before == 2
        incident = Incident.objects.get(reference=first["opened"][0])
        link = incident.alerts.get()
        assert link.occurrences == 2
        assert link.last_seen_at >= link.first_seen_at
        summaries = list(
            incident.timeline.filter(kind=TimelineKind.ALERT).values_list("summary", flat=True)
        )
        assert len(summaries) == 2
        assert summaries[1].startswith("Alert ChatbotToxicityHigh fired again")

    def test_after_the_incident_is_closed_the_same_fingerprint_opens_a_new_one(
        self, monitor, system, users
    ):
        payload = alertmanager_payload(system.reference)
        payload["alerts"] = payload["alerts"][1:]  # the warning alert: P2, closable without scope
        first = post(monitor, ALERTMANAGER_URL, payload).json()["opened"][0]
        close(Incident.objects.get(reference=first), users["grc"])

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 200
        second = response.json()["opened"]
        assert len(second) == 1 and second[0] != first
        assert Incident.objects.count() == 2
        assert AlertLink.objects.filter(fingerprint="a90c44e1d2f03b77").count() == 2

    def test_resolved_alert_is_noted_and_does_not_close_the_incident(self, monitor, system):
        opened = post(monitor, ALERTMANAGER_URL, alertmanager_payload(system.reference)).json()
        ended = timezone.now() - timedelta(minutes=1)

        response = post(
            monitor,
            ALERTMANAGER_URL,
            alertmanager_payload(system.reference, status="resolved", ended=ended),
        )

        assert response.status_code == 200
        assert response.json()["resolved"] == opened["opened"]
        incident = Incident.objects.get(reference=opened["opened"][0])
        assert incident.status == Status.REPORTED
        assert incident.alerts.get().state == AlertState.RESOLVED
        last = incident.timeline.filter(kind=TimelineKind.ALERT).last()
        assert last.summary.startswith("Alert ChatbotToxicityHigh resolved at ")
        assert ended.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") in last.summary

    def test_resolved_alert_without_open_incident_is_ignored_but_counted(self, monitor, system):
        response = post(
            monitor,
            ALERTMANAGER_URL,
            alertmanager_payload(system.reference, status="resolved", ended=timezone.now()),
        )

        assert response.status_code == 200
        assert response.json() == {"opened": [], "updated": [], "resolved": [], "ignored": 2}
        assert Incident.objects.count() == 0

    def test_same_fingerprint_twice_in_one_delivery_is_one_incident(self, monitor, system):
        payload = alertmanager_payload(system.reference)
        payload["alerts"] = [payload["alerts"][0], copy.deepcopy(payload["alerts"][0])]

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 200
        assert len(response.json()["opened"]) == 1
        assert Incident.objects.count() == 1

    def test_unknown_severity_label_sets_no_severity(self, monitor, system):
        payload = alertmanager_payload(system.reference)
        payload["alerts"] = payload["alerts"][:1]
        payload["alerts"][0]["labels"]["severity"] = "page-someone"

        ref = post(monitor, ALERTMANAGER_URL, payload).json()["opened"][0]

        assert Incident.objects.get(reference=ref).severity is None

    @pytest.mark.parametrize(
        ("label", "severity"),
        [
            ("critical", Severity.P0),
            ("high", Severity.P1),
            ("error", Severity.P1),
            ("warning", Severity.P2),
            ("medium", Severity.P2),
            ("info", Severity.P3),
            ("LOW", Severity.P3),
        ],
    )
    def test_severity_label_maps_to_a_suggested_severity(self, users, system, label, severity):
        payload = alertmanager_payload(system.reference)
        payload["alerts"] = payload["alerts"][:1]
        payload["alerts"][0]["labels"]["severity"] = label

        summary = services.alertmanager_receive(actor=users["engineer"], payload=payload)

        assert Incident.objects.get(reference=summary["opened"][0]).severity == severity

    def test_unknown_system_in_the_second_alert_saves_nothing(self, monitor, system):
        payload = alertmanager_payload(system.reference)
        payload["alerts"][1]["labels"]["ai_system"] = "AIS-9999"
        before = counts()

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 400
        assert response.json()["code"] == "validation_failed"
        assert response.json()["message"] == (
            "alerts[1]: unknown AI system 'AIS-9999' in label ai_system"
        )
        assert counts() == before

    def test_malformed_json_is_400(self, monitor):
        response = monitor.post(
            ALERTMANAGER_URL, data='{"version": "4", "alerts": [', content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["code"] == "validation_failed"
        assert "not valid JSON" in response.json()["message"]

    def test_missing_fingerprint_is_400_naming_the_alert(self, monitor, system):
        payload = alertmanager_payload(system.reference)
        del payload["alerts"][0]["fingerprint"]

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 400
        assert response.json()["message"] == "alerts[0]: fingerprint is required"
        assert Incident.objects.count() == 0

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda p: p.update(version="3"), "version"),
            (lambda p: p.pop("version"), "version"),
            (lambda p: p.update(alerts=[]), "alerts must be a non-empty list"),
            (lambda p: p.update(alerts="nope"), "alerts must be a non-empty list"),
            (lambda p: p["alerts"][0].update(status="pending"), "alerts[0]: status must be"),
            (lambda p: p["alerts"][1]["labels"].pop("ai_system"), "alerts[1]: label ai_system"),
            (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts[0]: startsAt"),
            (lambda p: p["alerts"][0].pop("startsAt"), "alerts[0]: startsAt is required"),
            (
                lambda p: p["alerts"][0].update(startsAt=iso(timezone.now() + timedelta(days=1))),
                "alerts[0]: startsAt is in the future",
            ),
            (lambda p: p["alerts"][0].update(labels="x"), "alerts[0]: labels must be an object"),
            (lambda p: p["alerts"].append("x"), "alerts[2]: an alert must be an object"),
        ],
    )
    def test_wrong_shape_is_400_and_saves_nothing(self, monitor, system, change, message):
        payload = alertmanager_payload(system.reference)
        change(payload)
        before = counts()

        response = post(monitor, ALERTMANAGER_URL, payload)

        assert response.status_code == 400, response.content
        assert response.json()["code"] == "validation_failed"
        assert message in response.json()["message"]
        assert counts() == before

    def test_payload_that_is_not_an_object_is_400(self, monitor):
        response = post(monitor, ALERTMANAGER_URL, [1, 2])

        assert response.status_code == 400
        assert response.json()["code"] == "validation_failed"

    def test_non_json_body_is_refused(self, monitor):
        response = monitor.post(ALERTMANAGER_URL, data="version=4", content_type="text/plain")

        assert response.status_code == 415

    def test_anonymous_is_401(self, api_client_for, system):
        response = post(api_client_for(None), ALERTMANAGER_URL, alertmanager_payload("AIS-0001"))

        assert response.status_code == 401
        assert Incident.objects.count() == 0

    @pytest.mark.parametrize("role", ROLES)
    def test_who_may_post_alerts(self, make_user, api_client_for, system, role):
        client = api_client_for(make_user(role))

        response = post(client, ALERTMANAGER_URL, alertmanager_payload(system.reference))

        if role in MAY_POST:
            assert response.status_code == 200, response.content
            assert Incident.objects.count() == 2
        else:
            assert response.status_code == 403
            assert response.json()["code"] == "permission_denied"
            assert Incident.objects.count() == 0

    def test_refused_role_gets_403_even_with_a_bad_body(self, api_client_for, users):
        response = api_client_for(users["auditor"]).post(
            ALERTMANAGER_URL, data="{", content_type="application/json"
        )

        assert response.status_code == 403

    def test_service_refuses_a_role_that_may_not_post(self, users, system):
        from aims.core.exceptions import PermissionRefused

        with pytest.raises(PermissionRefused):
            services.alertmanager_receive(
                actor=users["auditor"], payload=alertmanager_payload(system.reference)
            )

    def test_session_authentication_works_too(self, client, users, system):
        client.force_login(users["engineer"])

        response = post(client, ALERTMANAGER_URL, alertmanager_payload(system.reference))

        assert response.status_code == 200


# --- generic -----------------------------------------------------------------------------


def generic_payload(system_ref, **extra) -> dict:
    return {
        "source": "grafana",
        "fingerprint": "drift-credit-eu",
        "status": "firing",
        "system": system_ref,
        "title": "Population stability index above 0.25",
        "description": "PSI 0.31 on applicant income over the last 24 h.",
        "severity": "P1",
        "started_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "url": "https://grafana.example.com/d/drift",
        "labels": {"team": "credit-ml", "region": "eu"},
        **extra,
    }


@pytest.mark.django_db
class TestGenericIntake:
    def test_first_firing_opens_an_incident(self, monitor, system):
        payload = generic_payload(system.reference)

        response = post(monitor, GENERIC_URL, payload)

        assert response.status_code == 200, response.content
        (ref,) = response.json()["opened"]
        incident = Incident.objects.get(reference=ref)
        assert incident.detection_source == DetectionSource.MONITORING
        assert incident.severity == Severity.P1
        assert incident.title == payload["title"]
        assert "PSI 0.31" in incident.description and "team: credit-ml" in incident.description
        assert incident.reporter_label == "grafana"
        assert incident.links == [{"label": "Alert source", "url": payload["url"]}]
        assert incident.affected_systems.get().system == system
        link = incident.alerts.get()
        assert (link.source, link.fingerprint) == ("generic", "grafana:drift-credit-eu")

    def test_same_fingerprint_joins_then_resolves(self, monitor, system):
        ref = post(monitor, GENERIC_URL, generic_payload(system.reference)).json()["opened"][0]

        again = post(monitor, GENERIC_URL, generic_payload(system.reference, severity=3))
        resolved = post(monitor, GENERIC_URL, generic_payload(system.reference, status="resolved"))

        assert again.json()["updated"] == [ref]
        assert resolved.json()["resolved"] == [ref]
        assert Incident.objects.count() == 1
        incident = Incident.objects.get(reference=ref)
        assert incident.severity == Severity.P1  # a repeat does not change the severity
        assert incident.alerts.get().occurrences == 2
        assert incident.alerts.get().state == AlertState.RESOLVED
        kinds = list(
            incident.timeline.filter(kind=TimelineKind.ALERT).values_list("summary", flat=True)
        )
        assert "fired again" in kinds[1] and "resolved at" in kinds[2]

    def test_same_fingerprint_from_another_monitor_is_another_alert(self, monitor, system):
        post(monitor, GENERIC_URL, generic_payload(system.reference))

        response = post(monitor, GENERIC_URL, generic_payload(system.reference, source="datadog"))

        assert len(response.json()["opened"]) == 1
        assert Incident.objects.count() == 2

    def test_after_close_the_same_fingerprint_opens_a_new_incident(self, monitor, system, users):
        payload = generic_payload(system.reference, severity="P2")
        first = post(monitor, GENERIC_URL, payload).json()["opened"][0]
        close(Incident.objects.get(reference=first), users["grc"])

        response = post(monitor, GENERIC_URL, payload)

        assert len(response.json()["opened"]) == 1
        assert response.json()["opened"][0] != first

    def test_optional_fields_may_be_left_out(self, monitor, system):
        payload = {
            "source": "cron-check",
            "fingerprint": "daily-eval",
            "status": "firing",
            "system": system.reference,
            "title": "Daily evaluation accuracy fell below 90%",
        }

        response = post(monitor, GENERIC_URL, payload)

        assert response.status_code == 200, response.content
        incident = Incident.objects.get(reference=response.json()["opened"][0])
        assert incident.severity is None and incident.links == []

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"system": "AIS-9999"}, "unknown AI system 'AIS-9999'"),
            ({"fingerprint": ""}, "fingerprint is required"),
            ({"source": None}, "source is required"),
            ({"status": "open"}, "status must be 'firing' or 'resolved'"),
            ({"title": ""}, "title is required"),
            ({"severity": "P7"}, "severity must be one of"),
            ({"severity": True}, "severity must be one of"),
            ({"started_at": "last tuesday"}, "started_at is not a valid ISO 8601 time"),
            ({"url": "javascript:alert(1)"}, "url must be an http(s) URL"),
            ({"labels": ["a"]}, "labels must be an object"),
            ({"priority": "high"}, "Unknown fields: priority"),
        ],
    )
    def test_wrong_shape_is_400_and_saves_nothing(self, monitor, system, change, message):
        before = counts()

        response = post(monitor, GENERIC_URL, generic_payload(system.reference, **change))

        assert response.status_code == 400, response.content
        assert response.json()["code"] == "validation_failed"
        assert message in response.json()["message"]
        assert counts() == before

    def test_missing_fingerprint_is_400(self, monitor, system):
        payload = generic_payload(system.reference)
        del payload["fingerprint"]

        response = post(monitor, GENERIC_URL, payload)

        assert response.status_code == 400
        assert response.json()["message"] == "fingerprint is required"

    def test_malformed_json_is_400(self, monitor):
        response = monitor.post(
            GENERIC_URL, data="{'single': quotes}", content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["code"] == "validation_failed"

    def test_auditor_is_403_and_anonymous_401(self, api_client_for, users, system):
        payload = generic_payload(system.reference)

        assert post(api_client_for(users["auditor"]), GENERIC_URL, payload).status_code == 403
        assert post(api_client_for(None), GENERIC_URL, payload).status_code == 401
        assert Incident.objects.count() == 0

    def test_resolved_without_open_incident_is_ignored(self, monitor, system):
        response = post(monitor, GENERIC_URL, generic_payload(system.reference, status="resolved"))

        assert response.json() == {"opened": [], "updated": [], "resolved": [], "ignored": 1}


# --- concurrency -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_the_same_alert_open_one_incident(users, system):
    """Two Alertmanager replicas deliver the same alert at once (HA pairs do): one incident."""
    from rest_framework.test import APIClient

    payload = alertmanager_payload(system.reference)
    payload["alerts"] = payload["alerts"][:1]
    token = user_token(user=users["engineer"])
    barrier = threading.Barrier(2)
    statuses = []

    def deliver():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            barrier.wait(timeout=10)
            statuses.append(post(client, ALERTMANAGER_URL, payload).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200, 200]
    assert Incident.objects.count() == 1
    link = AlertLink.objects.get()
    assert link.occurrences == 2
