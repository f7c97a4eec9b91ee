"""Reads of the incident register. ``incidents_visible_to`` is where every list, page, export
and report starts, so the access rule lives in one place."""

import re
from datetime import timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from aims.accounts.choices import Role
from aims.clocks.selectors import overdue_exists
from inventory.models import Deployment

from . import rules
from .choices import OPEN_STATUSES, ApprovalSubject, Kind, TimelineKind
from .models import (
    AffectedSystem,
    AlertLink,
    DetectionThresholdChange,
    Evidence,
    Incident,
    IncidentTechnique,
    Participant,
    RegistryRollback,
    TimelineEntry,
)
from .permissions import reads_whole_register

# A search that looks like a reference or the start of one: INC-2026-0042, inc-2026, AIS-.
REFERENCE_LIKE = re.compile(r"^[A-Z]+-[A-Z0-9-]*$")
# Substring search needs at least one trigram to use the trigram indexes.
SUBSTRING_MIN_LENGTH = 3


def incidents_visible_to(user) -> QuerySet[Incident]:
    if not (user and user.is_authenticated and (user.is_superuser or user.role_names)):
        return Incident.objects.none()
    # The stored search vector is read by the database only; no page or export shows it.
    qs = Incident.objects.defer("search_vector")
    if user.is_superuser or user.has_role(Role.GRC):
        return qs
    participates = Exists(Participant.objects.filter(incident=OuterRef("pk"), user=user))
    if reads_whole_register(user):
        return qs.filter(Q(restricted=False) | Q(lead=user) | Q(reported_by=user) | participates)
    mine = Q(reported_by=user) | Q(lead=user) | participates
    if user.has_role(Role.ENGINEER):
        owns = Exists(
            AffectedSystem.objects.filter(
                Q(system__business_owner=user) | Q(system__technical_owner=user),
                incident=OuterRef("pk"),
            )
        )
        return qs.filter(mine | (owns & Q(restricted=False)))
    if user.has_role(Role.ETHICS):
        return qs.filter(mine | Q(protected_report__isnull=False))
    return qs.filter(mine)


def register(user) -> QuerySet[Incident]:
    """The register's rows with what the list shows, in a bounded number of queries."""
    return (
        incidents_visible_to(user)
        .annotate(is_overdue=overdue_exists(Incident))
        .select_related("lead", "reported_by")
        .prefetch_related(
            Prefetch("affected_systems", queryset=AffectedSystem.objects.select_related("system"))
        )
    )


def search(queryset: QuerySet[Incident], text: str) -> QuerySet[Incident]:
    """The incidents whose title or description holds the words (full text, English stems),
    whose title holds the text, or whose reference starts with it (``INC-2026-0042``,
    ``inc-2026``) — or, for text that is not reference-shaped, holds it (``0042``).

    Every branch reads an index (the stored search vector's GIN index, the reference's pattern
    index, the trigram indexes of title and reference), so a search costs about what a page of
    the register costs, however large the register. Substrings shorter than three characters
    match whole words only: a trigram index cannot look them up.
    """
    text = " ".join((text or "").split())
    if not text:
        return queryset
    matches = Q(search_vector=SearchQuery(text, config="english", search_type="websearch"))
    upper = text.upper()
    if REFERENCE_LIKE.match(upper):
        matches |= Q(reference__startswith=upper)  # references are upper case
    elif len(text) >= SUBSTRING_MIN_LENGTH:
        matches |= Q(reference__icontains=text)
    if len(text) >= SUBSTRING_MIN_LENGTH:
        matches |= Q(title__icontains=text)
    return queryset.filter(matches)


def incident_page(user, pk) -> Incident | None:
    return (
        incidents_visible_to(user)
        .select_related("lead", "reported_by")
        .prefetch_related(
            Prefetch(
                "affected_systems",
                queryset=AffectedSystem.objects.select_related(
                    "system", "system__business_owner", "model_version", "deployment"
                ),
            ),
            Prefetch("evidence", queryset=Evidence.objects.select_related("captured_by")),
            "participants__user",
            "approvals__approved_by",
            "containment_decisions__decided_by",
            "containment_decisions__fallback_version",
            Prefetch(
                "registry_rollbacks",
                queryset=RegistryRollback.objects.select_related(
                    "to_version", "from_version", "deployment"
                ),
            ),
            Prefetch(
                "technique_links", queryset=IncidentTechnique.objects.select_related("technique")
            ),
        )
        .filter(pk=pk)
        .first()
    )


def timeline(incident: Incident) -> QuerySet[TimelineEntry]:
    return incident.timeline.select_related("actor").order_by("at", "id")


def checklist(incident: Incident) -> list[rules.ChecklistItem]:
    """The five triage steps from the record. Uses prefetched relations when present."""
    systems = list(incident.affected_systems.all())
    approvals = list(incident.approvals.all())
    notifications = incident.timeline.filter(
        kind__in=[TimelineKind.NOTIFICATION, TimelineKind.COMMUNICATION]
    ).count()
    return rules.triage_checklist(
        severity=incident.severity,
        systems_total=len(systems),
        systems_pinned=sum(1 for s in systems if s.model_version_id),
        failure_began_at=incident.failure_began_at,
        outputs_or_individuals=incident.outputs_affected_estimate
        if incident.outputs_affected_estimate is not None
        else incident.individuals_affected_estimate,
        scope=incident.scope,
        evidence_count=len(incident.evidence.all()),
        waiver_approved=any(a.subject == ApprovalSubject.EVIDENCE_WAIVER for a in approvals),
        notifications=notifications,
    )


def recent_changes(incident: Incident, *, days: int = 14) -> dict:
    """Per affected system, its change-log entries in the ``days`` before detection, newest
    first. One query however many systems are affected (uses prefetched systems when present)."""
    since = incident.detected_at - timedelta(days=days)
    system_ids = [a.system_id for a in incident.affected_systems.all()]
    changes: dict[int, list] = {pk: [] for pk in system_ids}
    if not system_ids:
        return changes
    for deployment in (
        Deployment.objects.select_related("system", "model_version", "deployed_by")
        .filter(
            system_id__in=system_ids, deployed_at__gte=since, deployed_at__lte=incident.detected_at
        )
        .order_by("-deployed_at", "-id")
    ):
        changes[deployment.system_id].append(deployment)
    return changes


def similar_incidents(
    user, *, text: str = "", system_ids=(), exclude_pk=None, limit: int = 5
) -> list[Incident]:
    """Past incidents on the same systems or with similar text, best match first.

    Shown while an incident is being filed, so duplicates and recurrences are seen at once.
    """
    text = (text or "").strip()
    if not text and not system_ids:
        return []
    qs = incidents_visible_to(user).exclude(kind=Kind.EXERCISE)  # an exercise is no precedent
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    condition = Q()
    if system_ids:
        condition |= Q(affected_systems__system_id__in=list(system_ids))
    if text:
        words = " OR ".join(w for w in text.split() if len(w) > 2) or text
        query = SearchQuery(words, config="english", search_type="websearch")
        qs = qs.annotate(rank=SearchRank(F("search_vector"), query))
        condition |= Q(rank__gt=0.01)
    else:
        qs = qs.annotate(rank=Count("affected_systems"))
    return list(qs.filter(condition).distinct().order_by("-rank", "-detected_at")[:limit])


def register_headline(user) -> dict:
    """The home page's register figures. Exercises are counted on their own, never as
    incidents: an exercise in progress is not an open incident."""
    qs = incidents_visible_to(user)
    real = ~Q(kind=Kind.EXERCISE)
    open_q = Q(status__in=list(OPEN_STATUSES))
    return qs.aggregate(
        open=Count("id", filter=real & open_q),
        open_p0_p1=Count("id", filter=real & open_q & Q(severity__lte=1)),
        untriaged=Count("id", filter=real & Q(status="reported")),
        exercises_open=Count("id", filter=Q(kind=Kind.EXERCISE) & open_q),
        near_misses_90d=Count(
            "id", filter=Q(kind="near_miss", detected_at__gte=timezone.now() - timedelta(days=90))
        ),
    )


def my_open_incidents(user, *, limit: int = 20) -> list[Incident]:
    """Open incidents the user leads or reported, most severe (and unassessed) first."""
    return list(
        incidents_visible_to(user)
        .filter(Q(lead=user) | Q(reported_by=user), status__in=list(OPEN_STATUSES))
        .select_related("lead")
        .order_by(F("severity").asc(nulls_first=True), "-detected_at", "-id")[:limit]
    )


# --- detection: alerts by monitoring rule, threshold changes after incidents -------------------


def incident_detection(incident) -> dict:
    """The alerts that opened or joined the incident, with their monitoring rules, and the
    threshold changes it prompted: two queries."""
    return {
        "alerts": list(
            incident.alerts.select_related("monitoring_rule").order_by("first_seen_at", "id")
        ),
        "threshold_changes": list(
            incident.threshold_changes.select_related(
                "monitoring_rule__system", "changed_by"
            ).order_by("changed_at", "id")
        ),
    }


def system_detection(user, system, *, limit: int = 20) -> dict:
    """Per monitoring rule of a system, the alerts it produced and the threshold changes that
    incidents prompted — of incidents this person may see. Three queries, whatever the number
    of alerts (two when there are none): counts are aggregated, the lists are bounded."""
    visible = incidents_visible_to(user).values("pk")
    alerts = AlertLink.objects.filter(monitoring_rule__system=system, incident__in=visible)
    recent = list(
        alerts.select_related("incident", "monitoring_rule").order_by("-last_seen_at", "-id")[
            :limit
        ]
    )
    changes = list(
        DetectionThresholdChange.objects.filter(
            monitoring_rule__system=system, incident__in=visible
        )
        .select_related("incident", "monitoring_rule", "changed_by")
        .order_by("-changed_at", "-id")[:limit]
    )
    counts = {}
    if recent:  # nothing to count otherwise
        counts = {
            row["monitoring_rule"]: row
            for row in alerts.values("monitoring_rule").annotate(
                alerts=Count("id"),
                incidents=Count("incident", distinct=True),
                last=Max("last_seen_at"),
            )
        }
    return {"counts": counts, "recent_alerts": recent, "threshold_changes": changes}
