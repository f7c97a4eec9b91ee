"""Incident clocks end to end through the services, with controlled time (time-machine)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from aims.clocks.choices import ClockState
from aims.clocks.models import BusinessCalendar
from aims.clocks.services import clocks_of, clocks_tick
from aims.notify.models import Delivery, DeliveryAttempt, Notification
from aims.notify.services import deliver_due
from incidents import services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def incident_at(users, make_system):
    def make(severity, *, at=T0, lead=None, **data):
        with time_machine.travel(at, tick=False):
            incident = services.incident_create(
                actor=users["grc"],
                systems=[make_system()],
                severity=severity,
                severity_reason="initial",
                data={
                    "title": "Loan model rejects applicants",
                    "description": "spike",
                    "detection_source": "monitoring",
                    **data,
                },
            )
            if lead is not None:
                services.incident_assign_lead(actor=users["grc"], incident=incident, lead=lead)
        return incident

    return make


def active(incident):
    return {c.kind: c for c in clocks_of(incident).filter(state__in=["running", "breached"])}


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (
            0,
            {
                "triage": timedelta(hours=2),
                "notify": timedelta(hours=1),
                "leadership": timedelta(hours=24),
            },
        ),
        (
            1,
            {
                "triage": timedelta(hours=2),
                "notify": timedelta(hours=1),
                "leadership": timedelta(hours=24),
            },
        ),
        (2, {"triage": timedelta(days=1), "notify": timedelta(hours=4)}),
        (3, {"triage": timedelta(days=7)}),  # 5 business days from a Monday
    ],
)
def test_each_severity_starts_its_clocks(severity, expected, incident_at):
    clocks = active(incident_at(severity))
    assert {k: c.due_at - T0 for k, c in clocks.items()} == expected


def test_p3_triage_counts_business_days_over_a_weekend(incident_at):
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    triage = active(incident_at(3, at=friday))["triage"]
    assert triage.due_at == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def test_p2_triage_skips_a_bank_holiday(incident_at):
    before_christmas = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    triage = active(incident_at(2, at=before_christmas))["triage"]
    assert triage.due_at == datetime(2026, 12, 29, 10, 0, tzinfo=UTC)


def test_triage_and_investigation_follow_the_lifecycle(users, incident_at):
    incident = incident_at(1)
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        incident = services.incident_transition(actor=users["grc"], incident=incident, to="triaged")
    triage = clocks_of(incident).get(kind="triage")
    assert (triage.state, triage.met_at) == (ClockState.MET, T0 + timedelta(minutes=90))
    assert active(incident)["investigation"].due_at == T0 + timedelta(minutes=90, hours=24)


def test_recording_notifications_meets_the_notify_and_leadership_clocks(users, incident_at):
    incident = incident_at(0)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        services.notification_record(
            actor=users["grc"],
            incident=incident,
            recipients="system owner",
            channel="phone",
            summary="briefed",
        )
    assert set(active(incident)) == {"triage", "leadership"}
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        services.notification_record(
            actor=users["grc"],
            incident=incident,
            recipients="board",
            channel="e-mail",
            summary="board briefed",
            leadership=True,
        )
    leadership = clocks_of(incident).get(kind="leadership")
    assert leadership.state == ClockState.MET


def test_reminder_then_escalations_in_chain_order_each_once(users, make_user, incident_at):
    owner = make_user("engineer", username="owner")
    incident = incident_at(1)
    notify = active(incident)["notify"]
    notify.owner = owner
    notify.save()

    def tick(minutes):
        return clocks_tick(now=T0 + timedelta(minutes=minutes))

    assert (tick(30).reminders, tick(30).escalations) == (0, 0)
    first = tick(50)  # notify reminder is 15 minutes before its 60-minute deadline
    assert first.reminders == 1 and first.escalations == 0
    assert tick(50).reminders == 0  # the same tick again tells nobody twice
    at_due = tick(60)
    assert at_due.escalations == 1  # risk officer
    assert tick(95).escalations == 2  # CISO and DPO at +30
    assert tick(125).escalations == 2  # notify: legal at +60; triage (due at 120 min): risk officer
    assert tick(600).escalations == 1  # triage: CISO an hour after its due time

    steps = list(
        Delivery.objects.filter(clock=notify)
        .order_by("id")
        .values_list("step_key", "recipient__username")
    )
    assert steps == [
        ("reminder", "owner"),
        ("escalation-1", "risk_officer"),
        ("escalation-2", "dpo"),
        ("escalation-2", "ciso"),
        ("escalation-3", "legal"),
    ]
    notify.refresh_from_db()
    assert notify.state == ClockState.BREACHED


def test_run_clocks_command_sends_and_reports(users, incident_at, capsys):
    incident_at(1)
    call_command("run_clocks", "--now", (T0 + timedelta(minutes=61)).isoformat())
    out = capsys.readouterr().out
    assert "Sent 0 reminders and 1 escalations" in out
    assert Notification.objects.filter(recipient=users["risk_officer"]).count() == 1
    assert [m.to for m in mail.outbox] == [["risk_officer@example.com"]]
    call_command("run_clocks", "--now", (T0 + timedelta(minutes=61)).isoformat())
    assert "Sent 0 reminders and 0 escalations" in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_deliveries_are_written_on_the_incident_timeline(users, incident_at):
    incident = incident_at(1)
    clocks_tick(now=T0 + timedelta(minutes=61))
    deliver_due(now=T0 + timedelta(minutes=61))
    summaries = list(incident.timeline.filter(kind="delivery").values_list("summary", flat=True))
    assert any("by In-app inbox: sent" in s for s in summaries)
    assert any("by E-mail: sent" in s for s in summaries)


def test_severity_change_restarts_the_severity_clocks_with_a_timeline_entry(users, incident_at):
    incident = incident_at(3)
    assert set(active(incident)) == {"triage"}
    later = T0 + timedelta(hours=5)
    with time_machine.travel(later, tick=False):
        incident = services.incident_set_severity(
            actor=users["engineer"], incident=incident, severity=0, reason="customers harmed"
        )
    clocks = active(incident)
    assert clocks["triage"].due_at == later + timedelta(hours=2)
    assert clocks["notify"].due_at == later + timedelta(hours=1)
    old = clocks_of(incident).get(kind="triage", state=ClockState.NOT_APPLICABLE)
    assert old.ended_reason == "severity changed"
    assert "Clocks restarted after the severity change" in incident.timeline.last().summary


def test_rejection_ends_every_clock(users, incident_at):
    incident = incident_at(1)
    services.incident_transition(
        actor=users["grc"], incident=incident, to="rejected", reason="not AI"
    )
    assert active(incident) == {}


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_tell_each_person_once(users, make_system):
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            services.incident_create(
                actor=users["grc"],
                systems=[make_system()],
                severity=1,
                severity_reason="x",
                data={"title": "t", "description": "d", "detection_source": "monitoring"},
            )
    results, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(clocks_tick(now=T0 + timedelta(hours=3)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(r.escalations for r in results)
    assert total == Delivery.objects.count() > 0
    assert (
        Delivery.objects.values("clock", "step_key", "recipient").distinct().count()
        == Delivery.objects.count()
    )


def test_a_claimed_attempt_is_not_sent_twice_and_an_abandoned_one_is_resumed(users, incident_at):
    from aims.notify import services as notify

    incident_at(1)
    clocks_tick(now=T0 + timedelta(minutes=61))
    email = DeliveryAttempt.objects.get(channel="email")
    # A worker claims it and dies before finishing: the attempt is left "sending".
    claimed = notify._claim(email.pk, T0 + timedelta(minutes=61))
    assert claimed is not None
    assert (
        notify.attempt_process(email.pk, now=T0 + timedelta(minutes=62)) == "sending"
    )  # leased: not re-sent
    assert mail.outbox == []
    assert (
        notify.attempt_process(email.pk, now=T0 + timedelta(minutes=75)) == "sent"
    )  # lease ran out
    assert len(mail.outbox) == 1
    assert notify.attempt_process(email.pk, now=T0 + timedelta(minutes=90)) == "sent"
    assert len(mail.outbox) == 1


def test_a_failing_webhook_is_retried_with_backoff_and_does_not_block_the_inbox(users, incident_at):
    from aims.notify.models import WebhookEndpoint

    WebhookEndpoint.objects.create(name="pager", url="http://127.0.0.1:9/hook", role="risk_officer")
    incident_at(1)
    now = T0 + timedelta(minutes=61)
    clocks_tick(now=now)
    deliver_due(now=now)
    hook = DeliveryAttempt.objects.get(channel="webhook")
    assert (hook.status, hook.tries) == ("pending", 1)
    assert hook.next_try_at == now + timedelta(minutes=1) or hook.next_try_at > now
    assert "unreachable" in hook.last_error
    assert DeliveryAttempt.objects.get(channel="inbox").status == "sent"
    for minutes in (3, 6, 15, 40):
        deliver_due(now=now + timedelta(minutes=minutes))
    hook.refresh_from_db()
    assert (hook.status, hook.tries) == ("failed", 5)
