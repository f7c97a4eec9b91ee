"""Policies and the business calendar are read once per transaction, and an edit takes effect.

A write that starts several clocks reads the policies and the calendar once; the company's own
holidays are data GRC edits in the admin, so an edit must reach the very next clock — in the
same transaction (the admin saves a calendar and its exceptions together) and in any later one.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from aims.clocks import services as clock_services
from aims.clocks.models import BusinessCalendar, CalendarException, ClockPolicy
from aims.clocks.services import clocks_of, forget_policy_data
from incidents import services
from incidents.choices import IncidentClockKind as ClockKind

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


def file_p2(actor, system):
    """A P2 incident: its triage clock runs one business day."""
    with time_machine.travel(FRIDAY, tick=False):
        incident = services.incident_create(
            actor=actor,
            systems=[system],
            severity=2,
            severity_reason="Subset of inputs",
            data={"title": "Ranker drifts", "description": "d", "detection_source": "monitoring"},
        )
    return clocks_of(incident).get(kind=ClockKind.TRIAGE)


def test_a_company_holiday_added_in_the_admin_moves_the_next_deadline(client, users, make_system):
    grc = users["grc"]
    assert file_p2(grc, make_system()).due_at == MONDAY  # the calendar is now remembered
    calendar = BusinessCalendar.objects.get(active=True)
    grc.is_staff = grc.is_superuser = True
    grc.save()
    client.force_login(grc)
    response = client.post(
        f"/admin/clocks/businesscalendar/{calendar.pk}/change/",
        {
            "name": calendar.name,
            "country": calendar.country,
            "subdivision": calendar.subdivision,
            "time_zone": calendar.time_zone,
            "working_weekdays": "0,1,2,3,4",
            "active": "on",
            "exceptions-TOTAL_FORMS": "1",
            "exceptions-INITIAL_FORMS": "0",
            "exceptions-MIN_NUM_FORMS": "0",
            "exceptions-MAX_NUM_FORMS": "1000",
            "exceptions-0-date": "2026-11-23",
            "exceptions-0-name": "Company day",
            "exceptions-0-calendar": str(calendar.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert calendar.exceptions.filter(date=MONDAY.date()).exists()
    assert file_p2(grc, make_system()).due_at == TUESDAY


def test_an_exception_removed_takes_effect_in_the_same_transaction(users, make_system):
    grc = users["grc"]
    calendar = BusinessCalendar.objects.get(active=True)
    holiday = CalendarException.objects.create(calendar=calendar, date=MONDAY.date(), name="Off")
    assert file_p2(grc, make_system()).due_at == TUESDAY
    holiday.delete()
    assert file_p2(grc, make_system()).due_at == MONDAY


def test_a_policy_edit_takes_effect_at_the_next_clock(users, make_system):
    grc = users["grc"]
    assert file_p2(grc, make_system()).due_at == MONDAY
    policy = ClockPolicy.objects.get(kind=ClockKind.TRIAGE, severity=2)
    policy.amount = 2
    policy.save()
    assert file_p2(grc, make_system()).due_at == TUESDAY


def test_policies_and_calendar_are_read_once_per_transaction(users, make_system):
    grc = users["grc"]
    forget_policy_data()
    with CaptureQueriesContext(connection) as first:
        file_p2(grc, make_system())
    with CaptureQueriesContext(connection) as second:
        file_p2(grc, make_system())

    def reads(ctx, table):
        return [q for q in ctx.captured_queries if f'"{table}"' in q["sql"]]

    # A policy is read with its steps, the calendar with its exceptions: one query each.
    tables = (
        "clocks_clockpolicy",
        "clocks_escalationstep",
        "clocks_businesscalendar",
        "clocks_calendarexception",
    )
    for table in tables:
        assert len(reads(first, table)) == 1, table  # positive control: read once ...
        assert reads(second, table) == [], table  # ... and not again in this transaction


def test_hours_clocks_never_read_the_calendar(users, make_system):
    forget_policy_data()
    with CaptureQueriesContext(connection) as ctx, time_machine.travel(FRIDAY, tick=False):
        services.incident_create(
            actor=users["grc"],
            systems=[make_system()],
            severity=1,
            severity_reason="Customers hit",
            data={"title": "t", "description": "d", "detection_source": "monitoring"},
        )
    assert not [q for q in ctx.captured_queries if "clocks_businesscalendar" in q["sql"]]
    assert [q for q in ctx.captured_queries if "clocks_clockpolicy" in q["sql"]]


def test_public_holidays_are_built_once_per_process():
    forget_policy_data()
    first = clock_services.calendar_rules().holidays
    forget_policy_data()
    assert clock_services.calendar_rules().holidays is first
    assert datetime(2026, 12, 25).date() in first  # the GB calendar of the seed data


@pytest.mark.django_db(transaction=True)
def test_an_edit_committed_elsewhere_is_seen_by_the_next_transaction(users, make_system):
    """Nothing survives its transaction: an exception written without this process knowing
    (another server, SQL) still moves the next transaction's deadlines."""
    BusinessCalendar.objects.update(time_zone="UTC")
    grc = users["grc"]
    assert file_p2(grc, make_system()).due_at == MONDAY
    with transaction.atomic():
        clock_services.calendar_rules()  # remembered by this transaction only
        CalendarException.objects.bulk_create(
            [
                CalendarException(
                    calendar=BusinessCalendar.objects.get(active=True),
                    date=MONDAY.date(),
                    name="Set elsewhere",
                )
            ]
        )
    assert file_p2(grc, make_system()).due_at == TUESDAY


def test_clocks_reassign_hands_over_only_the_named_kinds(users, make_system):
    grc, lead = users["grc"], users["risk_officer"]
    with time_machine.travel(FRIDAY, tick=False):
        incident = services.incident_create(
            actor=grc,
            systems=[make_system(business_owner=users["engineer"])],
            severity=1,
            severity_reason="Customers hit",
            data={"title": "t", "description": "d", "detection_source": "monitoring"},
        )
    changed = clock_services.clocks_reassign(
        target=incident, kinds=[ClockKind.TRIAGE, ClockKind.INVESTIGATION], owner=lead, actor=grc
    )
    assert [c.kind for c in changed] == [ClockKind.TRIAGE]
    owners = {c.kind: (c.owner, c.owner_role) for c in clocks_of(incident)}
    assert owners[ClockKind.TRIAGE] == (lead, "")
    assert owners[ClockKind.NOTIFY] == (users["engineer"], "")
    assert owners[ClockKind.LEADERSHIP] == (None, "risk_officer")
    again = clock_services.clocks_reassign(
        target=incident, kinds=[ClockKind.TRIAGE], owner=lead, actor=grc
    )
    assert again == []  # already theirs: nothing written


def test_what_a_rolled_back_savepoint_remembered_is_read_again():
    forget_policy_data()
    with pytest.raises(RuntimeError), transaction.atomic():
        clock_services.policy_for(ClockKind.TRIAGE, 2)
        raise RuntimeError
    with CaptureQueriesContext(connection) as ctx:
        clock_services.policy_for(ClockKind.TRIAGE, 2)
    assert [q for q in ctx.captured_queries if "clocks_clockpolicy" in q["sql"]]
