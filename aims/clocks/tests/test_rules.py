"""Deadline arithmetic with plain values: business days across weekends and holidays."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import holidays

from aims.clocks.rules import (
    CalendarRules,
    actions_due,
    add_business_days,
    add_duration,
    reminder_time,
)

LONDON = ZoneInfo("Europe/London")
ENGLAND = CalendarRules(tz=LONDON, holidays=holidays.country_holidays("GB", subdiv="ENG"))


def test_one_business_day_from_friday_is_monday_same_time():
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=LONDON)
    assert add_business_days(friday, 1, ENGLAND) == datetime(2026, 11, 23, 15, 0, tzinfo=LONDON)


def test_a_public_holiday_is_skipped():
    # Christmas Day and Boxing Day 2026 (Friday, and Saturday -> substitute Monday 28 Dec).
    christmas_eve = datetime(2026, 12, 24, 9, 30, tzinfo=LONDON)
    assert add_business_days(christmas_eve, 1, ENGLAND) == datetime(
        2026, 12, 29, 9, 30, tzinfo=LONDON
    )


def test_five_business_days_across_a_weekend_and_a_bank_holiday():
    # Thursday 30 April 2026; Monday 4 May is the Early May bank holiday.
    start = datetime(2026, 4, 30, 10, 0, tzinfo=LONDON)
    assert add_business_days(start, 5, ENGLAND) == datetime(2026, 5, 8, 10, 0, tzinfo=LONDON)


def test_a_clock_started_on_saturday_counts_from_monday():
    saturday = datetime(2026, 11, 21, 11, 0, tzinfo=LONDON)
    assert add_business_days(saturday, 1, ENGLAND) == datetime(2026, 11, 23, 11, 0, tzinfo=LONDON)


def test_company_exceptions_override_the_public_calendar():
    rules = CalendarRules(
        tz=LONDON,
        holidays=ENGLAND.holidays,
        extra_holidays=frozenset({date(2026, 11, 23)}),
        extra_working_days=frozenset({date(2026, 11, 21)}),
    )
    friday = datetime(2026, 11, 20, 15, 0, tzinfo=LONDON)
    assert add_business_days(friday, 1, rules) == datetime(2026, 11, 21, 15, 0, tzinfo=LONDON)
    assert add_business_days(friday, 2, rules) == datetime(2026, 11, 24, 15, 0, tzinfo=LONDON)


def test_business_days_keep_local_time_across_a_dst_change():
    # Clocks go back on Sunday 25 October 2026 in London.
    friday = datetime(2026, 10, 23, 9, 0, tzinfo=LONDON)
    monday = add_business_days(friday, 1, ENGLAND)
    assert monday.astimezone(LONDON).hour == 9
    assert (monday.astimezone(UTC) - friday.astimezone(UTC)).total_seconds() == 3 * 24 * 3600 + 3600


def test_hours_and_calendar_days_ignore_the_calendar():
    start = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
    assert add_duration(start, 2, "hours", ENGLAND) == datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
    assert add_duration(start, 5, "calendar_days", ENGLAND) == datetime(
        2026, 11, 25, 23, 0, tzinfo=UTC
    )


def test_reminder_never_before_the_start():
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert reminder_time(start, datetime(2026, 11, 20, 14, 0, tzinfo=UTC), 30) == datetime(
        2026, 11, 20, 13, 30, tzinfo=UTC
    )
    assert reminder_time(start, datetime(2026, 11, 20, 12, 10, tzinfo=UTC), 30) is None


def test_actions_come_in_order_and_say_when_to_look_again():
    due = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    remind = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
    steps = [(1, ("risk_officer",), 0), (2, ("ciso", "dpo"), 30), (3, ("legal",), 60)]

    def at(h, m):
        return datetime(2026, 11, 20, h, m, tzinfo=UTC)

    actions, next_at = actions_due(
        now=at(13, 0), due_at=due, remind_at=remind, reminded=False, escalation_level=0, steps=steps
    )
    assert actions == [] and next_at == remind
    actions, next_at = actions_due(
        now=at(13, 45),
        due_at=due,
        remind_at=remind,
        reminded=False,
        escalation_level=0,
        steps=steps,
    )
    assert [a.step_key for a in actions] == ["reminder"] and next_at == due
    actions, next_at = actions_due(
        now=at(14, 0), due_at=due, remind_at=remind, reminded=True, escalation_level=0, steps=steps
    )
    assert [a.step_key for a in actions] == ["escalation-1"] and next_at == at(14, 30)
    actions, next_at = actions_due(
        now=at(15, 5), due_at=due, remind_at=remind, reminded=True, escalation_level=1, steps=steps
    )
    assert [a.step_key for a in actions] == ["escalation-2", "escalation-3"] and next_at is None
