"""The clock mechanism on a record it has never heard of: the test-only ``Widget``.

A module registers its kinds and its model (``tests.testapp``), gets clocks from a policy,
reminders and escalations from the tick — each (clock, step, recipient) once — without any
change to ``aims.clocks``.
"""

from datetime import UTC, datetime, timedelta

import pytest

from aims.clocks.choices import ClockState
from aims.clocks.models import BusinessCalendar, ClockPolicy, EscalationStep
from aims.clocks.registry import kind_label
from aims.clocks.services import clock_met, clock_start, clocks_of, clocks_tick
from aims.core.exceptions import ValidationFailed
from aims.notify.models import Delivery
from aims.notify.selectors import deliveries_for_target
from tests.testapp.services import widget_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def review_policy():
    policy = ClockPolicy.objects.create(
        kind="widget_review", amount=2, unit="hours", remind_before_minutes=30
    )
    EscalationStep.objects.create(policy=policy, position=1, roles=["grc"], delay_minutes=0)
    EscalationStep.objects.create(
        policy=policy, position=2, roles=["risk_officer"], delay_minutes=60
    )
    # A pseudo-role the Widget's module resolves (its owner), unknown to aims.clocks itself.
    EscalationStep.objects.create(
        policy=policy, position=3, roles=["widget_owner"], delay_minutes=120
    )
    return policy


@pytest.fixture
def widget(users):
    return widget_create(actor=users["grc"], name="Gadget", owner=users["engineer"])


def start(widget, users, **extra):
    return clock_start(
        target=widget,
        kind="widget_review",
        label=f"Review {widget.reference}",
        started_at=T0,
        owner=users["engineer"],
        actor=users["grc"],
        **extra,
    )


def test_a_registered_kind_gets_a_clock_from_its_policy(widget, users, review_policy):
    clock = start(widget, users)
    assert clock.due_at == T0 + timedelta(hours=2)
    assert clock.remind_at == T0 + timedelta(hours=1, minutes=30)
    assert clock.get_kind_display() == kind_label("widget_review") == "Widget review"
    assert list(clocks_of(widget)) == [clock]
    assert start(widget, users) == clock  # a running clock is kept, not doubled


def test_an_unregistered_kind_is_refused_with_the_known_kinds(widget, users):
    with pytest.raises(ValidationFailed) as refused:
        clock_start(
            target=widget,
            kind="gadget_audit",
            label="x",
            started_at=T0,
            due_at=T0 + timedelta(hours=1),
            actor=users["grc"],
        )
    assert "Unknown clock kind gadget_audit" in refused.value.message
    assert "widget_review" in refused.value.message
    assert not clocks_of(widget).exists()


def test_reminder_then_each_escalation_step_once(widget, users, review_policy):
    clock = start(widget, users)

    def tick(minutes):
        return clocks_tick(now=T0 + timedelta(minutes=minutes))

    assert (tick(60).reminders, tick(60).escalations) == (0, 0)
    assert tick(90).reminders == 1
    assert tick(90).reminders == 0  # the same moment again tells nobody twice
    assert tick(120).escalations == 1
    assert tick(121).escalations == 0
    assert tick(180).escalations == 1
    assert tick(240).escalations == 1
    assert tick(600).escalations == 0
    steps = list(
        deliveries_for_target(widget).order_by("id").values_list("step_key", "recipient__username")
    )
    assert steps == [
        ("reminder", "engineer"),
        ("escalation-1", "grc"),
        ("escalation-2", "risk_officer"),
        ("escalation-3", "engineer"),  # the widget's owner, resolved by its module
    ]
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED


def test_a_met_clock_tells_nobody(widget, users, review_policy):
    start(widget, users)
    clock_met(target=widget, kind="widget_review", at=T0 + timedelta(minutes=10))
    assert clocks_tick(now=T0 + timedelta(hours=5)).escalations == 0
    assert not Delivery.objects.exists()
    assert clocks_of(widget).get().state == ClockState.MET
