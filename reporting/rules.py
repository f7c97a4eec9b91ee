"""Pure rules of reporting: review periods, trend buckets and the audit sample's draw.

No database here; each is tested with plain values.

``Period`` is the half-open interval ``[start, end)`` of calendar days in the organization's
time zone; ``parse_period`` is the single parser of periods for the dashboard, the API and the
review-pack builder. ``draw_ids`` is the audit sample's draw: ``random.Random(seed).sample`` over
the population's ids in ascending order, so the same seed over the same population gives the
same sample; ``population_sha256`` names a population by its ids.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import ValidationFailed

DEFAULT_DAYS = 90
MAX_DAYS = 3660  # about ten years: keeps the trend's buckets and the pack's tables bounded
WEEKLY_UP_TO_DAYS = 120  # up to about four months the trend is weekly, then monthly
MONTHLY_UP_TO_DAYS = 3 * 366  # beyond three years, quarterly

# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Calendar days ``[start, end)`` in the current time zone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The last day included (what people write as "to")."""
        return self.end - timedelta(days=1)

    @property
    def granularity(self) -> str:
        if self.days <= WEEKLY_UP_TO_DAYS:
            return "week"
        if self.days <= MONTHLY_UP_TO_DAYS:
            return "month"
        return "quarter"

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end, time.min, tzinfo=tz),
        )

    def as_params(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @property
    def label(self) -> str:
        return f"{formats.date_format(self.start, 'j M Y')} – {formats.date_format(self.last_day, 'j M Y')}"


def as_date(value, name: str) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationFailed(
            _("%(name)s is not a date: give it as YYYY-MM-DD.") % {"name": name},
            fields={name: [_("Give a date as YYYY-MM-DD.")]},
        ) from exc


def default_period(today: date | None = None) -> Period:
    """The last 90 days, today included."""
    today = today or timezone.localdate()
    end = today + timedelta(days=1)
    return Period(end - timedelta(days=DEFAULT_DAYS), end)


def parse_period(start=None, end=None, *, today: date | None = None) -> Period:
    """A period from ``start`` and ``end`` (dates or ``YYYY-MM-DD``; ``end`` not included).

    Both missing: the last 90 days. One missing: 90 days from, or up to, the other.
    Refused with a message a person can act on: not a date, ``start`` not before ``end``, or a
    period longer than about ten years.
    """
    if start in (None, "") and end in (None, ""):
        return default_period(today)
    if start in (None, ""):
        end_day = as_date(end, "end")
        start_day = end_day - timedelta(days=DEFAULT_DAYS)
    elif end in (None, ""):
        start_day = as_date(start, "start")
        end_day = start_day + timedelta(days=DEFAULT_DAYS)
    else:
        start_day, end_day = as_date(start, "start"), as_date(end, "end")
    if start_day >= end_day:
        raise ValidationFailed(
            _("The period must start before it ends (the end date is not included)."),
            fields={"end": [_("Must be after the start date.")]},
        )
    if (end_day - start_day).days > MAX_DAYS:
        raise ValidationFailed(
            _("A review period is at most %(days)d days long.") % {"days": MAX_DAYS},
            fields={"start": [_("Period too long.")]},
        )
    return Period(start_day, end_day)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


PRESETS = {
    "90d": gettext_lazy("Last 90 days"),
    "this_quarter": gettext_lazy("This quarter"),
    "last_quarter": gettext_lazy("Last quarter"),
    "this_year": gettext_lazy("This year"),
    "last_year": gettext_lazy("Last year"),
}


def preset_period(name: str, *, today: date | None = None) -> Period:
    """The named period ("90d", "this_quarter", "last_quarter", "this_year", "last_year").
    "This …" runs to today included."""
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    if name == "this_quarter":
        return Period(_quarter_start(today), tomorrow)
    if name == "last_quarter":
        end = _quarter_start(today)
        return Period(_add_months(end, -3), end)
    if name == "this_year":
        return Period(date(today.year, 1, 1), tomorrow)
    if name == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year, 1, 1))
    return default_period(today)


# --- trend buckets ------------------------------------------------------------------------


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return _quarter_start(day)


def next_bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day + timedelta(days=7)
    return _add_months(day, 1 if granularity == "month" else 3)


def bucket_label(day: date, granularity: str, several_years: bool) -> str:
    if granularity == "week":
        return formats.date_format(day, "j M y" if several_years else "j M")
    if granularity == "month":
        return formats.date_format(day, "M Y")
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def buckets(period: Period) -> list[date]:
    day, found = bucket_start(period.start, period.granularity), []
    while day < period.end:
        found.append(day)
        day = next_bucket(day, period.granularity)
    return found


# --- the audit sample's draw -----------------------------------------------------------------


def population_sha256(ids) -> str:
    """SHA-256 of the population's ids in ascending order, joined with commas."""
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode("ascii")).hexdigest()


def draw_ids(population_ids: list[int], *, size: int, seed: int) -> list[int]:
    """The draw itself: ``random.Random(seed).sample`` over the ids in ascending order."""
    ordered = sorted(population_ids)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))  # noqa: S311 - a reproducible draw, not a secret
