"""Paging PagerDuty (Events API v2) and Opsgenie (Alert API) from the register, end to end
against a local server that checks every request against the vendor's published format.

The incident services queue pages; ``deliver_due`` sends them as the worker and the beat's
sweep do, at controlled instants (time-machine for the writes, ``now`` for the sweep)."""

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aims.clocks.models import BusinessCalendar
from aims.clocks.services import clocks_tick
from aims.notify.choices import AttemptStatus
from aims.notify.models import PageEvent, PagingService
from aims.notify.services import deliver_due
from incidents import services
from incidents.choices import ContainmentOption, Kind, Status
from incidents.models import Incident, TimelineEntry
from incidents.tests.factories import add_evidence
from tests.pager_server import PagerServer

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
PD_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"
OG_KEY = "0a1b2c3d-opsgenie-api-key-4e5f6a7b"


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def server():
    s = PagerServer(opsgenie_key=OG_KEY)
    yield s
    s.close()


@pytest.fixture
def pagerduty(server, monkeypatch, settings):
    settings.SITE_URL = "https://aims.example.com"
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    return PagingService.objects.create(
        name="AI on-call", vendor="pagerduty", api_url=server.url, key_env="AIMS_TEST_PD_KEY"
    )


@pytest.fixture
def opsgenie(server, settings):
    settings.SITE_URL = "https://aims.example.com"
    return PagingService.objects.create(
        name="Ops", vendor="opsgenie", api_url=server.url, key=OG_KEY
    )


@pytest.fixture
def file(users, make_system):
    def make(severity, *, at=T0, **data):
        with time_machine.travel(at, tick=False):
            return services.incident_create(
                actor=users["grc"],
                systems=[make_system(name="Credit scoring")],
                severity=severity,
                severity_reason="initial",
                data={
                    "title": "Credit model drift",
                    "description": "PSI 0.31 on applicant income.",
                    "detection_source": "monitoring",
                    "types": ["drift"],
                    **data,
                },
            )

    return make


def move(users, incident, to, *, at):
    with time_machine.travel(at, tick=False):
        return services.incident_transition(
            actor=users["grc"], incident=incident, to=to, reason="Test step with a reason."
        )


def contain(users, incident, *, at):
    add_evidence(incident, users["grc"])
    with time_machine.travel(at, tick=False):
        services.containment_decide(
            actor=users["grc"],
            incident=incident,
            option=ContainmentOption.PAUSE,
            rationale="Human review of every decision until fixed.",
        )
    return move(users, incident, Status.CONTAINED, at=at)


def sent(server, vendor="pagerduty"):
    return [(action, body) for v, action, _path, _h, body in server.requests if v == vendor]


def page_entries(incident):
    return list(
        TimelineEntry.objects.filter(incident=incident, kind="page")
        .order_by("at", "id")
        .values_list("summary", flat=True)
    )


def test_a_p0_incident_pages_pagerduty_once_with_its_reference_severity_and_link(
    server, pagerduty, file
):
    incident = file(0)
    assert server.requests == []  # queued in the write, sent by the worker
    deliver_due(now=T0)
    deliver_due(now=T0 + timedelta(minutes=5))  # nothing is sent twice
    assert not server.invalid
    [(action, body)] = sent(server)
    assert action == "trigger"
    assert body["routing_key"] == PD_KEY
    assert body["dedup_key"] == incident.reference
    assert body["payload"]["severity"] == "critical"
    assert body["payload"]["summary"] == f"P0 {incident.reference} Credit model drift"
    assert "Credit scoring" in body["payload"]["source"]
    assert body["payload"]["class"] == "drift"
    assert body["links"] == [
        {
            "href": f"https://aims.example.com/incidents/{incident.pk}/",
            "text": f"{incident.reference} in AIMS Register",
        }
    ]
    assert body["client"] == "AIMS Register"
    event = PageEvent.objects.get()
    assert event.status == AttemptStatus.SENT
    assert event.response["dedup_key"] == incident.reference
    [entry] = page_entries(incident)
    assert entry == "Page trigger to AI on-call (PagerDuty): sent"


def test_a_p2_incident_pages_nobody_until_its_severity_is_raised_to_p1(
    server, pagerduty, file, users
):
    incident = file(2)
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(minutes=10))
    deliver_due(now=T0 + timedelta(minutes=10))
    assert server.requests == [] and PageEvent.objects.count() == 0
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.incident_set_severity(
            actor=users["grc"], incident=incident, severity=1, reason="customers harmed"
        )
    deliver_due(now=T0 + timedelta(minutes=20))
    [(action, body)] = sent(server)
    assert action == "trigger" and body["payload"]["severity"] == "error"
    assert body["dedup_key"] == incident.reference


def test_triage_acknowledges_and_containment_resolves_in_order(server, pagerduty, file, users):
    incident = file(1)
    deliver_due(now=T0)
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(minutes=5))
    contain(users, incident, at=T0 + timedelta(minutes=30))
    deliver_due(now=T0 + timedelta(minutes=30))
    assert [(a, b["dedup_key"]) for a, b in sent(server)] == [
        ("trigger", incident.reference),
        ("acknowledge", incident.reference),
        ("resolve", incident.reference),
    ]
    ack, resolve = sent(server)[1][1], sent(server)[2][1]
    assert "payload" not in ack and "payload" not in resolve
    assert not server.invalid
    # Later moves page nothing more.
    move(users, incident, Status.INVESTIGATING, at=T0 + timedelta(hours=1))
    deliver_due(now=T0 + timedelta(hours=1))
    assert len(server.requests) == 3


def test_a_rejected_p0_is_resolved(server, pagerduty, file, users):
    incident = file(0)
    move(users, incident, Status.REJECTED, at=T0 + timedelta(minutes=5))
    deliver_due(now=T0 + timedelta(minutes=5))
    assert [a for a, _b in sent(server)] == ["trigger", "resolve"]


def test_resolve_waits_for_a_failed_trigger_to_succeed_first(server, pagerduty, file, users):
    server.fail_next(500)
    incident = file(0)
    deliver_due(now=T0)
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(seconds=20))
    contain(users, incident, at=T0 + timedelta(seconds=40))
    deliver_due(now=T0 + timedelta(seconds=40))
    assert server.requests == []  # the trigger failed; acknowledge and resolve wait their turn
    trigger, ack, resolve = PageEvent.objects.order_by("id")
    assert trigger.status == AttemptStatus.PENDING and trigger.tries == 1
    assert trigger.next_try_at == T0 + timedelta(minutes=1)
    assert (ack.status, ack.tries, resolve.status, resolve.tries) == ("pending", 0, "pending", 0)
    deliver_due(now=T0 + timedelta(minutes=1))
    assert [a for a, _b in sent(server)] == ["trigger", "acknowledge", "resolve"]
    entries = page_entries(incident)
    assert entries[0].startswith("Page trigger to AI on-call (PagerDuty): pending")
    assert "answered 500" in entries[0] and "next try 2026-11-16 09:01" in entries[0]
    assert entries[1:] == [
        "Page trigger to AI on-call (PagerDuty): sent",
        "Page acknowledge to AI on-call (PagerDuty): sent",
        "Page resolve to AI on-call (PagerDuty): sent",
    ]


def test_a_rate_limit_is_retried_with_back_off_and_an_invalid_event_is_not(server, pagerduty, file):
    server.fail_next(429, 429)
    incident = file(0)
    deliver_due(now=T0)
    deliver_due(now=T0 + timedelta(minutes=1))
    event = PageEvent.objects.get()
    assert (event.tries, event.next_try_at) == (2, T0 + timedelta(minutes=3))
    deliver_due(now=T0 + timedelta(minutes=2))  # not due yet
    assert event.tries == PageEvent.objects.get().tries
    deliver_due(now=T0 + timedelta(minutes=3))
    assert PageEvent.objects.get().status == AttemptStatus.SENT
    assert len(page_entries(incident)) == 3

    server.fail_next(400)
    other = file(0, title="Second drift")
    deliver_due(now=T0 + timedelta(minutes=4))
    refused = PageEvent.objects.get(dedup_key=other.reference)
    assert refused.status == AttemptStatus.FAILED and refused.tries == 1
    assert "answered 400" in refused.last_error


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_down_pagerduty_never_blocks_the_register_and_is_paged_once_it_is_back(
    server, monkeypatch, file, users, make_system, api_client_for, settings
):
    settings.SITE_URL = "https://aims.example.com"
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    service = PagingService.objects.create(
        name="AI on-call",
        vendor="pagerduty",
        api_url=f"http://127.0.0.1:{_closed_port()}",
        key_env="AIMS_TEST_PD_KEY",
    )
    system = make_system(name="Credit scoring")
    with time_machine.travel(T0, tick=False):
        response = api_client_for(users["grc"]).post(
            "/api/v1/incidents/",
            {
                "title": "Credit model drift",
                "description": "PSI 0.31",
                "detection_source": "monitoring",
                "systems": [system.reference],
                "severity": "P0",
                "severity_reason": "Customers refused credit",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(reference=response.json()["reference"])
    assert PageEvent.objects.get().status == AttemptStatus.PENDING  # nothing sent in the request
    moment = T0
    for expected_wait in (1, 2, 4, 8):
        deliver_due(now=moment)
        event = PageEvent.objects.get()
        assert event.next_try_at == moment + timedelta(minutes=expected_wait)
        assert "unreachable" in event.last_error
        moment = event.next_try_at
    # The register works on meanwhile.
    move(users, incident, Status.TRIAGED, at=moment)
    service.api_url = server.url
    service.save()
    deliver_due(now=moment)
    assert [a for a, _b in sent(server)] == ["trigger", "acknowledge"]
    entries = page_entries(incident)
    assert len(entries) == 6 and sum("unreachable" in e for e in entries) == 4
    assert entries[-2:] == [
        "Page trigger to AI on-call (PagerDuty): sent",
        "Page acknowledge to AI on-call (PagerDuty): sent",
    ]


def test_a_trigger_that_never_got_through_is_not_acknowledged(monkeypatch, file, users):
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    PagingService.objects.create(
        name="AI on-call",
        vendor="pagerduty",
        api_url=f"http://127.0.0.1:{_closed_port()}",
        key_env="AIMS_TEST_PD_KEY",
    )
    incident = file(0)
    move(users, incident, Status.TRIAGED, at=T0)
    moment = T0
    for _ in range(5):
        deliver_due(now=moment)
        moment += timedelta(hours=1)
    trigger, ack = PageEvent.objects.order_by("id")
    assert (trigger.status, trigger.tries) == (AttemptStatus.FAILED, 5)
    assert ack.status == AttemptStatus.SKIPPED and ack.tries == 0
    assert page_entries(incident)[-1].endswith(
        "skipped (no trigger for this key reached the service)"
    )


def test_an_escalation_step_pages_the_service_of_the_role_it_reaches(
    server, monkeypatch, file, users, settings
):
    settings.SITE_URL = "https://aims.example.com"
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    PagingService.objects.create(
        name="Risk pager",
        vendor="pagerduty",
        api_url=server.url,
        key_env="AIMS_TEST_PD_KEY",
        role="risk_officer",
        page_incidents=False,
    )
    incident = file(1)
    deliver_due(now=T0)
    assert server.requests == []  # not a lifecycle pager
    clocks_tick(now=T0 + timedelta(minutes=61))  # the notify chain escalates to the risk officer
    deliver_due(now=T0 + timedelta(minutes=61))
    clocks_tick(now=T0 + timedelta(minutes=62))
    deliver_due(now=T0 + timedelta(minutes=62))
    [(action, body)] = sent(server)
    assert action == "trigger" and body["dedup_key"] == incident.reference
    assert body["payload"]["summary"].startswith("Escalation: Notification chain")
    assert body["payload"]["severity"] == "error"
    assert PageEvent.objects.get().cause.startswith("escalation:")
    # The incident's own containment resolves the page the escalation made.
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(minutes=70))
    contain(users, incident, at=T0 + timedelta(minutes=80))
    deliver_due(now=T0 + timedelta(minutes=80))
    assert [a for a, _b in sent(server)] == ["trigger", "acknowledge", "resolve"]


def test_opsgenie_creates_acknowledges_and_closes_by_alias_with_the_geniekey(
    server, opsgenie, file, users
):
    incident = file(0)
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(minutes=5))
    contain(users, incident, at=T0 + timedelta(minutes=30))
    deliver_due(now=T0 + timedelta(minutes=30))
    assert not server.invalid
    calls = [(a, p, h["Authorization"], b) for v, a, p, h, b in server.requests]
    assert [(a, p) for a, p, _k, _b in calls] == [
        ("create", "/v2/alerts"),
        ("acknowledge", f"/v2/alerts/{incident.reference}/acknowledge"),
        ("close", f"/v2/alerts/{incident.reference}/close"),
    ]
    assert {k for _a, _p, k, _b in calls} == {f"GenieKey {OG_KEY}"}
    create = calls[0][3]
    assert create["alias"] == incident.reference and create["priority"] == "P1"
    assert create["message"] == f"P0 {incident.reference} Credit model drift"
    assert f"https://aims.example.com/incidents/{incident.pk}/" in create["description"]
    assert "P0" in create["tags"] and create["details"]["reference"] == incident.reference
    assert calls[2][3]["note"] == f"{incident.reference} is contained."
    request_ids = [e.response["requestId"] for e in PageEvent.objects.order_by("id")]
    assert len(set(request_ids)) == 3


def test_exercises_page_only_the_services_that_take_exercises(server, pagerduty, opsgenie, file):
    drill = file(0, kind=Kind.EXERCISE, scenario_note="Tabletop: refund jailbreak")
    deliver_due(now=T0)
    assert server.requests == [] and PageEvent.objects.count() == 0
    real = file(0, title="Real drift")  # positive control: the same services page a real P0
    deliver_due(now=T0)
    assert {v for v, *_rest in server.requests} == {"pagerduty", "opsgenie"}
    assert {b.get("dedup_key") or b.get("alias") for *_r, b in server.requests} == {real.reference}
    opsgenie.page_exercises = True
    opsgenie.save()
    server.requests.clear()
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        services.incident_set_severity(
            actor=drill.reported_by, incident=drill, severity=1, reason="drill escalates"
        )
    deliver_due(now=T0 + timedelta(minutes=1))
    [(vendor, _a, _p, _h, body)] = server.requests
    assert vendor == "opsgenie" and body["message"].startswith("[EXERCISE] P1")


def test_no_key_reaches_a_timeline_a_page_event_or_a_history_record(
    server, pagerduty, opsgenie, file, users, client
):
    server.fail_next(500)
    incident = file(0)
    deliver_due(now=T0)
    deliver_due(now=T0 + timedelta(minutes=1))
    assert len(server.requests) == 2  # positive control: both keys were used on the wire
    texts = [str(e.summary) + str(e.data) for e in TimelineEntry.objects.filter(incident=incident)]
    texts += [str(e.payload) + str(e.response) + e.last_error for e in PageEvent.objects.all()]
    texts += [str(h.__dict__) for h in PageEvent.history.all()]
    texts += [str(h.__dict__) for h in PagingService.history.all()]
    assert texts and not [t for t in texts if PD_KEY in t or OG_KEY in t]
    client.force_login(_superuser())
    page = client.get(f"/admin/notify/pagingservice/{opsgenie.pk}/change/").content.decode()
    assert "Stored key" in page and OG_KEY[-4:] in page and OG_KEY not in page


def _superuser():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-1234567")


def test_from_a_drift_alert_pagerduty_is_paged_and_resolved_at_containment(
    server, pagerduty, users, make_system, api_client_for
):
    system = make_system(name="Credit scoring")
    with time_machine.travel(T0, tick=False):
        response = api_client_for(users["engineer"]).post(
            "/api/v1/alerts/generic/",
            {
                "source": "grafana",
                "fingerprint": "drift-credit-eu",
                "status": "firing",
                "system": system.reference,
                "title": "Population stability index above 0.25",
                "description": "PSI 0.31 on applicant income over the last 24 h.",
                "severity": "P1",
            },
            format="json",
        )
    assert response.status_code == 200, response.json()
    [reference] = response.json()["opened"]
    assert server.requests == []
    deliver_due(now=T0)
    [(action, body)] = sent(server)
    assert action == "trigger" and body["dedup_key"] == reference
    assert body["payload"]["summary"] == f"P1 {reference} Population stability index above 0.25"
    incident = Incident.objects.get(reference=reference)
    move(users, incident, Status.TRIAGED, at=T0 + timedelta(minutes=10))
    contain(users, incident, at=T0 + timedelta(minutes=40))
    deliver_due(now=T0 + timedelta(minutes=40))
    assert [a for a, _b in sent(server)] == ["trigger", "acknowledge", "resolve"]
    assert not server.invalid
    assert len(page_entries(incident)) == 3


def test_an_exercise_escalation_pages_only_a_service_that_takes_exercises(
    server, monkeypatch, file, users
):
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    for name, drills in (("Risk pager", False), ("Drill pager", True)):
        PagingService.objects.create(
            name=name,
            vendor="pagerduty",
            api_url=server.url,
            key_env="AIMS_TEST_PD_KEY",
            role="risk_officer",
            page_incidents=False,
            page_exercises=drills,
        )
    drill = file(1, kind=Kind.EXERCISE, scenario_note="Tabletop: drift")
    clocks_tick(now=T0 + timedelta(minutes=61))
    deliver_due(now=T0 + timedelta(minutes=61))
    [(action, body)] = sent(server)
    assert action == "trigger" and body["dedup_key"] == drill.reference
    assert body["payload"]["summary"].startswith("Escalation: [EXERCISE] Notification chain")
    assert PageEvent.objects.get().service.name == "Drill pager"


def test_the_worker_task_sends_a_page_event(server, pagerduty, file):
    from aims.notify.tasks import process_page_event

    file(0)
    event = PageEvent.objects.get()
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        assert process_page_event.run(event.pk) == "sent"
        assert process_page_event.run(event.pk) == "sent"  # a second run sends nothing
    assert len(server.requests) == 1
