"""Deadline arithmetic: pure functions over plain values, unit-tested without a database."""

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from .choices import DurationUnit

MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


@dataclass(frozen=True)
class CalendarRules:
    """What counts as a business day, in the organization's time zone."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    working_weekdays: frozenset = MONDAY_TO_FRIDAY
    holidays: Container = frozenset()
    extra_working_days: frozenset = frozenset()
    extra_holidays: frozenset = frozenset()

    def is_business_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays or day in self.holidays:
            return False
        return day.weekday() in self.working_weekdays


def add_business_days(start: datetime, days: int, rules: CalendarRules) -> datetime:
    """``days`` business days after ``start``, at the same local time of day.

    Friday 15:00 + 1 business day is Monday 15:00 (Tuesday when Monday is a holiday); a clock
    started on a Saturday counts its first business day from the Monday.
    """
    local = start.astimezone(rules.tz)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        if rules.is_business_day(day):
            counted += 1
    return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=rules.tz)


def add_duration(start: datetime, amount: int, unit: str, rules: CalendarRules) -> datetime:
    if unit == DurationUnit.MINUTES:
        return start + timedelta(minutes=amount)
    if unit == DurationUnit.HOURS:
        return start + timedelta(hours=amount)
    if unit == DurationUnit.CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if unit == DurationUnit.BUSINESS_DAYS:
        return add_business_days(start, amount, rules)
    raise ValueError(f"unknown duration unit {unit!r}")


def reminder_time(
    started_at: datetime, due_at: datetime, remind_before_minutes: int
) -> datetime | None:
    """When the owner is reminded: ``remind_before`` ahead of the due time, never before the start."""
    if remind_before_minutes <= 0:
        return None
    at = due_at - timedelta(minutes=remind_before_minutes)
    return at if at > started_at else None


@dataclass(frozen=True)
class DueAction:
    step_key: str
    position: int  # 0 = reminder to the owner; n = escalation step n
    roles: tuple


def actions_due(
    *,
    now: datetime,
    due_at: datetime,
    remind_at: datetime | None,
    reminded: bool,
    escalation_level: int,
    steps: list[tuple[int, tuple, int]],
) -> tuple[list[DueAction], datetime | None]:
    """What a clock owes at ``now`` and when it next needs looking at.

    ``steps`` are ``(position, roles, delay_minutes)`` of the escalation chain, position >= 1.
    A reminder that would come after the due time is skipped: the escalation says more.
    """
    due_now, upcoming = [], []
    if not reminded and remind_at is not None:
        if now >= due_at:
            pass
        elif now >= remind_at:
            due_now.append(DueAction("reminder", 0, ("clock_owner",)))
        else:
            upcoming.append(remind_at)
    for position, roles, delay in sorted(steps):
        if position <= escalation_level:
            continue
        at = due_at + timedelta(minutes=delay)
        if now >= at:
            due_now.append(DueAction(f"escalation-{position}", position, tuple(roles)))
        else:
            upcoming.append(at)
    if now < due_at:
        upcoming.append(due_at)
    return due_now, (min(upcoming) if upcoming else None)
