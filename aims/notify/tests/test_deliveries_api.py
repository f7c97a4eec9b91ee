"""Deliveries of any registered record, through one generic filter (the test-only Widget)."""

from datetime import UTC, datetime, timedelta

import pytest

from aims.clocks.models import BusinessCalendar, ClockPolicy, EscalationStep
from aims.clocks.services import clock_start, clocks_tick
from aims.notify.services import deliver_due
from tests.testapp.services import widget_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
URL = "/api/v1/notifications/"


@pytest.fixture
def escalated_widget(users):
    BusinessCalendar.objects.update(time_zone="UTC")
    policy = ClockPolicy.objects.create(kind="widget_review", amount=1, unit="hours")
    EscalationStep.objects.create(policy=policy, position=1, roles=["grc"], delay_minutes=0)
    widget = widget_create(
        actor=users["grc"], name="Private", owner=users["engineer"], restricted=True
    )
    clock_start(
        target=widget, kind="widget_review", label="Review", started_at=T0, actor=users["grc"]
    )
    clocks_tick(now=T0 + timedelta(hours=1))
    deliver_due(now=T0 + timedelta(hours=1))
    return widget


def get(client, **params):
    return client.get(URL, params)


def test_a_records_deliveries_with_their_attempts(escalated_widget, users, api_client_for):
    answer = get(
        api_client_for(users["engineer"]),
        target_type="testapp.widget",
        target_id=escalated_widget.pk,
    )
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [r["step_key"] for r in rows] == ["escalation-1"]
    assert rows[0]["attempts"], "each delivery lists its attempts"


def test_a_record_the_user_may_not_see_answers_404(escalated_widget, users, api_client_for):
    outsider = api_client_for(users["auditor"])  # the widget is restricted to its owner
    answer = get(outsider, target_type="testapp.widget", target_id=escalated_widget.pk)
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"target_type": "testapp.widget"}, "target_type"),
        ({"target_id": "1"}, "target_type"),
        ({"target_type": "nowhere.thing", "target_id": "1"}, "target_type"),
        ({"target_type": "not-a-label", "target_id": "1"}, "target_type"),
        ({"target_type": "testapp.widget", "target_id": "x"}, "target_id"),
        ({"target_type": "audit.chainhead", "target_id": "1"}, "target_type"),  # not exposed
    ],
)
def test_bad_filters_say_what_to_give(params, field, users, api_client_for):
    answer = get(api_client_for(users["grc"]), **params)
    assert answer.status_code == 400
    assert field in answer.json()["fields"]


def test_without_a_target_i_get_the_deliveries_sent_to_me(escalated_widget, users, api_client_for):
    mine = get(api_client_for(users["grc"])).json()["results"]
    assert [r["step_key"] for r in mine] == ["escalation-1"]
    assert get(api_client_for(users["dpo"])).json()["results"] == []
