"""The figures of the management review (ISO/IEC 42001 clause 9.3: "information on the
performance of the AI management system", including nonconformities and corrective actions,
monitoring and measurement results).

``period_metrics`` answers, for the incidents detected in a period and visible to the person
asking: how many, how severe, of which types, on which systems, found how; the trend; how long it
took to detect, contain and resolve; how often the clocks were met; what is open and overdue now;
how many near misses; and which incidents recur on a system. The browser dashboard, the PDF pack
and the API all read this one dictionary, so the three cannot disagree.

Every figure is an aggregation in the database: the number of queries is fixed (six), whatever
the number of incidents. Rows that are *rejected* (judged not to be AI incidents) are left out
of every figure and counted once on their own.

``Period`` is the half-open interval ``[start, end)`` of calendar days in the organization's
time zone; ``parse_period`` is the single parser of periods for the dashboard, the API and the
builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Trunc
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.clocks.choices import ACTIVE_STATES, ClockState
from aims.clocks.models import Clock
from aims.clocks.registry import kind_label
from aims.core.exceptions import ValidationFailed
from incidents.choices import OPEN_STATUSES, DetectionSource, IncidentType, Kind, Severity, Status
from incidents.models import AffectedSystem
from incidents.selectors import incidents_visible_to

DEFAULT_DAYS = 90
RECURRENCE_DAYS = 90
MAX_DAYS = 3660  # about ten years: keeps the trend's buckets and the pack's tables bounded
WEEKLY_UP_TO_DAYS = 120  # up to about four months the trend is weekly, then monthly
MONTHLY_UP_TO_DAYS = 3 * 366  # beyond three years, quarterly
RECURRENCE_LIST_LIMIT = 50
UNSET = "unset"
SEVERITY_KEYS = [f"P{int(s)}" for s in Severity] + [UNSET]


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


def _bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return _quarter_start(day)


def _next_bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day + timedelta(days=7)
    return _add_months(day, 1 if granularity == "month" else 3)


def _bucket_label(day: date, granularity: str, several_years: bool) -> str:
    if granularity == "week":
        return formats.date_format(day, "j M y" if several_years else "j M")
    if granularity == "month":
        return formats.date_format(day, "M Y")
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _buckets(period: Period) -> list[date]:
    day, found = _bucket_start(period.start, period.granularity), []
    while day < period.end:
        found.append(day)
        day = _next_bucket(day, period.granularity)
    return found


# --- the figures --------------------------------------------------------------------------


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 1)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _duration(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def _rows(counts: dict, labels: dict, total: int, *, keep_zero: bool = False) -> list[dict]:
    rows = [
        {
            "key": key,
            "label": str(labels[key]),
            "count": counts[key],
            "share": _share(counts[key], total),
        }
        for key in labels
        if keep_zero or counts[key]
    ]
    return rows if keep_zero else sorted(rows, key=lambda r: (-r["count"], r["label"]))


def _incident_clocks():
    """Clocks whose target is an incident (joined on the content type: no extra query)."""
    return Clock.objects.filter(target_type__app_label="incidents", target_type__model="incident")


def period_metrics(*, start, end, user, now: datetime | None = None) -> dict:
    """The management-review figures for incidents detected in ``[start, end)`` that ``user``
    may see. ``start``/``end`` are dates (or ``YYYY-MM-DD``). Six queries, whatever the data."""
    period = parse_period(start, end)
    now = now or timezone.now()
    start_at, end_at = period.bounds()

    visible = incidents_visible_to(user)
    in_period = visible.filter(detected_at__gte=start_at, detected_at__lt=end_at)
    counted = in_period.exclude(status=Status.REJECTED)
    kept = ~Q(status=Status.REJECTED)

    # 1. Totals, severity, detection source, types and mean times: one aggregate.
    aggregates = {
        "entries": Count("id", filter=kept),
        "incidents": Count("id", filter=kept & Q(kind=Kind.INCIDENT)),
        "near_misses": Count("id", filter=kept & Q(kind=Kind.NEAR_MISS)),
        "rejected": Count("id", filter=Q(status=Status.REJECTED)),
        "open": Count("id", filter=Q(status__in=list(OPEN_STATUSES))),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        "sev_unset": Count("id", filter=kept & Q(severity__isnull=True)),
        "src_unset": Count("id", filter=kept & Q(detection_source="")),
        "type_unset": Count("id", filter=kept & Q(types=[])),
        "detect_avg": Avg(
            _duration("detected_at", "failure_began_at"),
            filter=kept & Q(failure_began_at__isnull=False),
        ),
        "detect_n": Count("id", filter=kept & Q(failure_began_at__isnull=False)),
        "contain_avg": Avg(
            _duration("contained_at", "detected_at"),
            filter=kept & Q(contained_at__gte=F("detected_at")),
        ),
        "contain_n": Count("id", filter=kept & Q(contained_at__gte=F("detected_at"))),
        "resolve_avg": Avg(
            _duration("resolved_at", "detected_at"),
            filter=kept & Q(resolved_at__gte=F("detected_at")),
        ),
        "resolve_n": Count("id", filter=kept & Q(resolved_at__gte=F("detected_at"))),
    }
    for severity in Severity:
        aggregates[f"sev_{int(severity)}"] = Count("id", filter=kept & Q(severity=severity))
    for source in DetectionSource:
        aggregates[f"src_{source.value}"] = Count(
            "id", filter=kept & Q(detection_source=source.value)
        )
    for kind in IncidentType:
        aggregates[f"type_{kind.value}"] = Count(
            "id", filter=kept & Q(types__contains=[kind.value])
        )
    agg = in_period.aggregate(**aggregates)
    total = agg["entries"]

    severity_labels = {f"P{int(s)}": s.label for s in Severity} | {UNSET: _("Not set")}
    severity_counts = {f"P{int(s)}": agg[f"sev_{int(s)}"] for s in Severity} | {
        UNSET: agg["sev_unset"]
    }
    source_labels = {s.value: s.label for s in DetectionSource} | {UNSET: _("Not recorded")}
    source_counts = {s.value: agg[f"src_{s.value}"] for s in DetectionSource} | {
        UNSET: agg["src_unset"]
    }
    type_labels = {t.value: t.label for t in IncidentType} | {UNSET: _("No type recorded")}
    type_counts = {t.value: agg[f"type_{t.value}"] for t in IncidentType} | {
        UNSET: agg["type_unset"]
    }

    # 2. By AI system: an incident affecting several systems counts once for each.
    system_rows = list(
        AffectedSystem.objects.filter(incident__in=counted)
        .values("system_id", "system__reference", "system__name")
        .annotate(n=Count("incident_id", distinct=True))
        .order_by("-n", "system__reference")
    )
    by_system = [
        {
            "key": row["system__reference"],
            "reference": row["system__reference"],
            "label": row["system__name"],
            "count": row["n"],
            "share": _share(row["n"], total),
        }
        for row in system_rows
    ]

    # 3. Trend: per week, month or quarter, by severity.
    tz = timezone.get_current_timezone()
    granularity = period.granularity
    trend_rows = (
        counted.annotate(bucket=Trunc("detected_at", granularity, tzinfo=tz))
        .values("bucket", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    bucket_days = _buckets(period)
    per_bucket = {day: dict.fromkeys(SEVERITY_KEYS, 0) for day in bucket_days}
    for row in trend_rows:
        day = timezone.localtime(row["bucket"], tz).date()
        key = UNSET if row["severity"] is None else f"P{row['severity']}"
        per_bucket.setdefault(day, dict.fromkeys(SEVERITY_KEYS, 0))[key] += row["n"]
    several_years = period.start.year != period.last_day.year
    trend = [
        {
            "start": day.isoformat(),
            "label": _bucket_label(day, granularity, several_years),
            "counts": counts,
            "total": sum(counts.values()),
        }
        for day, counts in sorted(per_bucket.items())
    ]

    # 4. Clock performance on the period's incidents. A clock that is past due and not met
    # (marked breached by the tick or not yet) is a miss; clocks ended as not applicable
    # (rejection, closure, a severity restart, P3 notification) are not counted.
    overdue = Q(state=ClockState.BREACHED, met_at__isnull=True) | Q(
        state=ClockState.RUNNING, due_at__lt=now
    )
    clock_rows = (
        _incident_clocks()
        .filter(target_id__in=counted.values("id"))
        .values("kind")
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            late=Count("id", filter=Q(state=ClockState.BREACHED, met_at__isnull=False)),
            overdue=Count("id", filter=overdue),
            running=Count("id", filter=Q(state=ClockState.RUNNING, due_at__gte=now)),
        )
        .order_by("kind")
    )
    clock_kinds = []
    for row in clock_rows:
        decided = row["met"] + row["late"] + row["overdue"]
        if not (decided or row["running"]):
            continue
        clock_kinds.append(
            {
                "key": row["kind"],
                "label": kind_label(row["kind"]),
                "met": row["met"],
                "late": row["late"],
                "overdue": row["overdue"],
                "running": row["running"],
                "share_met": _share(row["met"], decided),
            }
        )
    met = sum(k["met"] for k in clock_kinds)
    late = sum(k["late"] for k in clock_kinds)
    overdue_n = sum(k["overdue"] for k in clock_kinds)
    clocks = {
        "met": met,
        "late": late,
        "overdue": overdue_n,
        "breached": late + overdue_n,
        "running": sum(k["running"] for k in clock_kinds),
        "share_met": _share(met, met + late + overdue_n),
        "by_kind": clock_kinds,
    }

    # 5. Open and overdue clocks now, across every incident the person can see (a stand-in for
    # open and overdue actions until the CAPA module exists).
    open_rows = (
        _incident_clocks()
        .filter(
            target_id__in=visible.values("id"),
            state__in=list(ACTIVE_STATES),
            met_at__isnull=True,  # "breached" also marks a clock met late: that one is done
        )
        .values("kind")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
        .order_by("kind")
    )
    open_kinds = [
        {
            "key": row["kind"],
            "label": kind_label(row["kind"]),
            "open": row["open"],
            "overdue": row["overdue"],
        }
        for row in open_rows
    ]
    open_clocks = {
        "as_of": now.isoformat(),
        "open": sum(k["open"] for k in open_kinds),
        "overdue": sum(k["overdue"] for k in open_kinds),
        "by_kind": open_kinds,
    }

    # 6. Recurrence: the period's incidents whose affected system had another (visible, not
    # rejected) incident detected in the 90 days before.
    earlier = (
        AffectedSystem.objects.filter(
            system_id=OuterRef("system_id"),
            incident__in=visible.exclude(status=Status.REJECTED),
            incident__detected_at__lt=OuterRef("incident__detected_at"),
            incident__detected_at__gte=OuterRef("incident__detected_at")
            - timedelta(days=RECURRENCE_DAYS),
        )
        .exclude(incident_id=OuterRef("incident_id"))
        .values("id")
    )
    recurring_rows = list(
        AffectedSystem.objects.filter(incident__in=counted)
        .filter(Exists(earlier))
        .values("incident_id", "incident__reference", "system__reference", "system__name")
        .order_by("system__reference", "incident__detected_at", "incident_id")
    )
    recurring_ids = {row["incident_id"] for row in recurring_rows}
    recurring_systems: dict[str, dict] = {}
    for row in recurring_rows:
        entry = recurring_systems.setdefault(
            row["system__reference"],
            {
                "reference": row["system__reference"],
                "label": row["system__name"],
                "count": 0,
                "incidents": [],
            },
        )
        entry["count"] += 1
        if len(entry["incidents"]) < RECURRENCE_LIST_LIMIT:
            entry["incidents"].append(row["incident__reference"])
    recurrence = {
        "window_days": RECURRENCE_DAYS,
        "incidents": len(recurring_ids),
        "share": _share(len(recurring_ids), total),
        "by_system": sorted(
            recurring_systems.values(), key=lambda s: (-s["count"], s["reference"])
        ),
    }

    return {
        "period": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "last_day": period.last_day.isoformat(),
            "days": period.days,
            "label": period.label,
            "granularity": granularity,
        },
        "generated_at": now.isoformat(),
        "totals": {
            "entries": total,
            "incidents": agg["incidents"],
            "near_misses": agg["near_misses"],
            "rejected": agg["rejected"],
            "open": agg["open"],
            "closed": agg["closed"],
            "severe": severity_counts["P0"] + severity_counts["P1"],
        },
        "by_severity": [
            row
            for row in _rows(severity_counts, severity_labels, total, keep_zero=True)
            if row["key"] != UNSET or row["count"]
        ],
        "by_type": _rows(type_counts, type_labels, total),
        "by_system": by_system,
        "by_detection_source": _rows(source_counts, source_labels, total),
        "trend": {"granularity": granularity, "buckets": trend},
        "mean_times": {
            "detect": {"hours": _hours(agg["detect_avg"]), "incidents": agg["detect_n"]},
            "contain": {"hours": _hours(agg["contain_avg"]), "incidents": agg["contain_n"]},
            "resolve": {"hours": _hours(agg["resolve_avg"]), "incidents": agg["resolve_n"]},
        },
        "clocks": clocks,
        "open_clocks": open_clocks,
        "near_misses": agg["near_misses"],
        "recurrence": recurrence,
    }
