"""The read layer of reporting: report runs, the management-review figures, the register rows
an export writes, and an audit sample's population.

``period_metrics`` answers, for the incidents detected in a period and visible to the person
asking (ISO/IEC 42001 clause 9.3: "information on the performance of the AI management system"):
how many, how severe, of which types, on which systems, found how; the trend; how long it took to
detect, contain and resolve; how often the clocks were met; what is open and overdue now; how many
near misses; and which incidents recur on a system. Exercises (``Kind.EXERCISE``: tabletop
exercises and simulations) are in none of these figures; the period's number of them is given
once, on its own, as readiness evidence. The browser dashboard, the PDF pack and the
API all read this one dictionary, so the three cannot disagree. Every figure is an aggregation in
the database: the number of queries is fixed (six), whatever the number of incidents. Rows that
are *rejected* (judged not to be AI incidents) are left out of every figure and counted once on
their own.

Every read of incidents starts from ``incidents.selectors.incidents_visible_to`` (through
``register``), so a restricted incident is in nobody's figures, exports or samples who cannot see
it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.accounts.choices import Role
from aims.clocks.choices import ACTIVE_STATES, ClockState
from aims.clocks.models import Clock
from aims.clocks.registry import kind_label
from capa import selectors as capa_selectors
from disclosure import selectors as disclosure_selectors
from incidents import selectors as incident_selectors
from incidents.choices import OPEN_STATUSES, DetectionSource, IncidentType, Kind, Severity, Status
from incidents.models import AffectedSystem, Incident
from incidents.selectors import incidents_visible_to
from risk import selectors as risk_selectors

from . import filters, rules
from .choices import ACTIVE_RUN_STATUSES, RunStatus
from .models import ReportRun

RECURRENCE_DAYS = 90
RECURRENCE_LIST_LIMIT = 50
UNSET = "unset"
SEVERITY_KEYS = [f"P{int(s)}" for s in Severity] + [UNSET]


# --- report runs ------------------------------------------------------------------------------


def runs_visible_to(user) -> QuerySet[ReportRun]:
    """The requester sees their own runs; GRC sees every run."""
    if not (user and user.is_authenticated and (user.is_superuser or user.role_names)):
        return ReportRun.objects.none()
    qs = ReportRun.objects.select_related("requested_by", "incident")
    if user.has_role(Role.GRC):
        return qs
    return qs.filter(requested_by=user)


def active_runs_of(user) -> QuerySet[ReportRun]:
    """``user``'s runs still queued or running: what the per-user cap counts."""
    return ReportRun.objects.filter(requested_by=user, status__in=ACTIVE_RUN_STATUSES)


def run_identical(*, user, kind: str, params: dict, incident_id=None) -> ReportRun | None:
    """A queued or running run of ``user`` asking for exactly the same document, if any."""
    return (
        active_runs_of(user)
        .filter(kind=kind, params=params, incident_id=incident_id)
        .order_by("requested_at", "id")
        .first()
    )


def runs_to_resume(
    *, now: datetime, queued_for: timedelta, limit: int = 50
) -> list[tuple[int, str]]:
    """Runs a worker should (re)start: queued for longer than ``queued_for`` (the broker was
    down when they were requested), or running with an expired lease (the worker died).
    As ``(id, kind)``."""
    stale = Q(status=RunStatus.QUEUED, requested_at__lt=now - queued_for) | Q(
        status=RunStatus.RUNNING, lease_expires_at__lt=now
    )
    return list(
        ReportRun.objects.filter(stale)
        .order_by("requested_at", "id")
        .values_list("id", "kind")[:limit]
    )


# --- the register rows of an export -----------------------------------------------------------

REGISTER_VALUE_FIELDS = (
    "reference",
    "title",
    "kind",
    "severity",
    "status",
    "detection_source",
    "detected_at",
    "failure_began_at",
    "system_references",
    "lead__first_name",
    "lead__last_name",
    "lead__username",
    "individuals_affected_estimate",
    "individuals_affected_confirmed",
    "harm_flags",
    "created_at",
    "capa_references",
    "root_cause_category",
)


def register_rows(user, params: Mapping) -> QuerySet:
    """The register rows ``user`` sees under ``params``, as plain values in the register's order.

    Starts from ``incidents.selectors.register`` (so from ``incidents_visible_to``); drops its
    prefetch and reads the affected systems' references, the CAPAs' references and the
    confirmed root cause's category in the same query (subqueries), so iterating with a server-side cursor keeps nothing but the current chunk in memory.
    """
    qs = filters.register_filterset(params, incident_selectors.register(user)).qs
    if not qs.query.order_by:
        qs = qs.order_by("-detected_at", "-id")
    systems = ArraySubquery(
        AffectedSystem.objects.filter(incident=OuterRef("pk"))
        .order_by("system__reference")
        .values("system__reference")
    )
    return (
        qs.prefetch_related(None)
        .select_related(None)
        .annotate(system_references=systems, **capa_selectors.register_export_columns())
        .values(*REGISTER_VALUE_FIELDS)
    )


# --- an audit sample's population -------------------------------------------------------------


def sample_population(user, sample_filters: dict) -> QuerySet[Incident]:
    """The incidents ``user`` can see that match ``sample_filters`` (the JSON form kept in the
    run), ordered by id."""
    qs = incidents_visible_to(user)
    if sample_filters.get("detected_after"):
        qs = qs.filter(detected_at__gte=sample_filters["detected_after"])
    if sample_filters.get("detected_before"):
        qs = qs.filter(detected_at__lte=sample_filters["detected_before"])
    if sample_filters.get("severity"):
        qs = qs.filter(severity__in=sample_filters["severity"])
    if sample_filters.get("kind"):
        qs = qs.filter(kind=sample_filters["kind"])
    if sample_filters.get("system"):
        qs = qs.filter(affected_systems__system_id=sample_filters["system"])
    if sample_filters.get("status"):
        qs = qs.filter(status__in=sample_filters["status"])
    return qs.distinct().order_by("id")


def sampled_incidents(user, ids) -> dict[int, Incident]:
    """The drawn incidents ``user`` still sees, by id."""
    return {i.pk: i for i in incidents_visible_to(user).filter(pk__in=ids)}


@dataclass(frozen=True)
class Draw:
    population_size: int
    population_sha256: str
    incident_ids: list[int]  # in the order of ``references``
    references: list[str]  # sorted


def sample_draw(*, actor, filters: dict, size: int, seed: int) -> Draw:
    """Draw a sample from the population ``actor`` sees. Same seed + same population => same
    sample."""
    population_ids = list(sample_population(actor, filters).values_list("id", flat=True))
    drawn = rules.draw_ids(population_ids, size=size, seed=seed)
    rows = sorted(
        Incident.objects.filter(pk__in=drawn).values_list("reference", "id"),
        key=lambda row: row[0],
    )
    return Draw(
        population_size=len(population_ids),
        population_sha256=rules.population_sha256(population_ids),
        incident_ids=[pk for _ref, pk in rows],
        references=[ref for ref, _pk in rows],
    )


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
    may see. ``start``/``end`` are dates (or ``YYYY-MM-DD``). Thirteen queries, whatever the data
    (six on the incidents and their clocks, three on their disclosure, four on the learning
    loop: CAPAs, effectiveness checks, audit findings, recurrences)."""
    period = rules.parse_period(start, end)
    now = now or timezone.now()
    start_at, end_at = period.bounds()

    # Exercises (tabletop exercises, simulations) are readiness evidence, not performance: they
    # are in no figure below, only counted once on their own (``totals.exercises``).
    seen = incidents_visible_to(user)
    visible = seen.exclude(kind=Kind.EXERCISE)
    in_period_seen = seen.filter(detected_at__gte=start_at, detected_at__lt=end_at)
    in_period = in_period_seen.exclude(kind=Kind.EXERCISE)
    counted = in_period.exclude(status=Status.REJECTED)
    real = ~Q(kind=Kind.EXERCISE)
    kept = real & ~Q(status=Status.REJECTED)

    # 1. Totals, severity, detection source, types and mean times: one aggregate.
    aggregates = {
        "entries": Count("id", filter=kept),
        "incidents": Count("id", filter=kept & Q(kind=Kind.INCIDENT)),
        "near_misses": Count("id", filter=kept & Q(kind=Kind.NEAR_MISS)),
        "exercises": Count("id", filter=Q(kind=Kind.EXERCISE) & ~Q(status=Status.REJECTED)),
        "rejected": Count("id", filter=real & Q(status=Status.REJECTED)),
        "open": Count("id", filter=real & Q(status__in=list(OPEN_STATUSES))),
        "closed": Count("id", filter=real & Q(status=Status.CLOSED)),
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
    agg = in_period_seen.aggregate(**aggregates)
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
    bucket_days = rules.buckets(period)
    per_bucket = {day: dict.fromkeys(SEVERITY_KEYS, 0) for day in bucket_days}
    for row in trend_rows:
        day = timezone.localtime(row["bucket"], tz).date()
        key = UNSET if row["severity"] is None else f"P{row['severity']}"
        per_bucket.setdefault(day, dict.fromkeys(SEVERITY_KEYS, 0))[key] += row["n"]
    several_years = period.start.year != period.last_day.year
    trend = [
        {
            "start": day.isoformat(),
            "label": rules.bucket_label(day, granularity, several_years),
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
            "exercises": agg["exercises"],
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
        # 7–9. Disclosure: obligations per regime, assessments, communications sent.
        "disclosure": disclosure_selectors.period_figures(counted, now=now),
        # 10–13. The learning loop: CAPAs, effectiveness checks, audit findings, recurrences.
        "capa": capa_selectors.capa_period_figures(
            start_at=start_at,
            end_at=end_at,
            capas=capa_selectors.capas_visible_to(user),
            incidents=visible,
            now=now,
        ),
        # 14–15. Root causes by category and post-incident reviews held on time.
        "learning": capa_selectors.learning_period_figures(counted, now=now),
        # 16. The risk register's changes after the period's incidents.
        "risk": risk_selectors.period_figures(counted),
    }
