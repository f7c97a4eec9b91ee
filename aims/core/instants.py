"""Reading instants that clients send, so that every one the database is given can be stored.

One parser serves the API's query parameters and fields, the FilterSets behind the HTML pages
and the exports, and the management commands. It refuses, with a message that says what is
wrong, what Python would accept but PostgreSQL would not: a UTC offset beyond ±15:59, a year
outside 1-9999 once read in UTC. Recorded facts (when an incident was detected, when a version
was deployed) are further held to ``EARLIEST_RECORDED`` onwards: a year-1 detection is a typo.
"""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)  # PostgreSQL's limit for a time zone offset
EARLIEST_RECORDED = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

FORMAT_HINT = _("Give the instant as ISO 8601 with a time zone, e.g. 2026-03-01T14:30:00Z.")


def validate_instant(value: datetime) -> None:
    """Refuse an instant the database cannot store or that no register would hold."""
    if not isinstance(value, datetime):
        return
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError(
            _("The UTC offset %(offset)s is out of range: offsets run from -15:59 to +15:59.")
            % {"offset": value.strftime("%z")},
            code="offset_out_of_range",
        )
    try:
        value.astimezone(UTC) if offset is not None else timezone.make_aware(value)
    except (OverflowError, ValueError) as exc:
        raise ValidationError(
            _("%(value)s is out of range.") % {"value": value.isoformat()}, code="out_of_range"
        ) from exc


def validate_recorded_instant(value: datetime) -> None:
    """An instant at which something happened: representable, from 1970 and before 2100."""
    validate_instant(value)
    if not isinstance(value, datetime):
        return
    aware = value if timezone.is_aware(value) else timezone.make_aware(value)
    if aware < EARLIEST_RECORDED:
        raise ValidationError(
            _("%(value)s is before 1970: check the year.") % {"value": value.isoformat()},
            code="too_early",
        )
    if aware >= LATEST:
        raise ValidationError(
            _("%(value)s is too far in the future: check the year.") % {"value": value.isoformat()},
            code="too_late",
        )


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with a time zone, checked by ``validate_instant``.

    A ``+`` that arrived as a space (an unencoded query string) is read as ``+``.
    """
    raw = (text or "").strip().replace(" ", "+")
    try:
        value = parse_datetime(raw) if raw else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError(FORMAT_HINT, code="invalid")
    validate_instant(value)
    return value
