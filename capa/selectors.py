"""Reads of the learning loop, shared by the incident page, the API and the case file. Access
follows the incident: callers first find the incident through ``incidents_visible_to``."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from incidents.models import AffectedSystem
from incidents.selectors import incidents_visible_to

from .choices import RootCauseStatus, ScopeStatus
from .models import (
    Diagnostic,
    Recurrence,
    RecurrencePolicy,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)

DEFAULT_RECURRENCE_WINDOW_DAYS = 90


def root_causes_of(incident) -> QuerySet[RootCause]:
    """Every candidate with its whys, diagnostics and evidence links, in four queries."""
    return (
        RootCause.objects.filter(incident=incident)
        .select_related("proposed_by", "confirmed_by", "ruled_out_by")
        .prefetch_related(
            Prefetch("whys", queryset=Why.objects.order_by("position", "id")),
            Prefetch("diagnostics", queryset=Diagnostic.objects.select_related("performed_by")),
            Prefetch(
                "evidence_links",
                queryset=RootCauseEvidence.objects.select_related("evidence", "linked_by"),
            ),
        )
        .order_by("created_at", "id")
    )


def confirmed_root_cause(incident) -> RootCause | None:
    return RootCause.objects.filter(incident=incident, status=RootCauseStatus.CONFIRMED).first()


def root_causes_visible_to(user) -> QuerySet[RootCause]:
    return RootCause.objects.filter(incident__in=incidents_visible_to(user))


def scope_of(incident) -> ScopeConfirmation | None:
    return (
        ScopeConfirmation.objects.filter(incident=incident)
        .select_related("recorded_by", "confirmed_by")
        .first()
    )


def plan_of(incident) -> RemediationPlan | None:
    return (
        RemediationPlan.objects.filter(incident=incident)
        .select_related("fix_verified_by", "restored_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=RemediationItem.objects.select_related("owner", "done_by").order_by(
                    "due_on", "id"
                ),
            )
        )
        .first()
    )


def remediation_items_visible_to(user) -> QuerySet[RemediationItem]:
    return RemediationItem.objects.filter(plan__incident__in=incidents_visible_to(user))


def recurrence_window_days() -> int:
    policy = RecurrencePolicy.objects.order_by("pk").first()
    return policy.window_days if policy else DEFAULT_RECURRENCE_WINDOW_DAYS


def recurrences_of(incident) -> QuerySet[Recurrence]:
    """Every recurrence link the incident takes part in, earlier or later. The CAPA records
    of the earlier incident of each link are the ones whose effectiveness is in doubt."""
    return (
        Recurrence.objects.filter(Q(earlier_incident=incident) | Q(later_incident=incident))
        .select_related("earlier_incident", "later_incident", "system")
        .order_by("created_at", "id")
    )


def recurrence_candidates(root_cause: RootCause, *, window_days: int) -> list[RootCause]:
    """Confirmed root causes of the same category on other incidents that share an affected
    system with this one, detected within ``window_days`` of it (either side)."""
    incident = root_cause.incident
    systems = AffectedSystem.objects.filter(incident=incident).values("system")
    window = timedelta(days=window_days)
    return list(
        RootCause.objects.filter(
            status=RootCauseStatus.CONFIRMED,
            category=root_cause.category,
            incident__detected_at__gte=incident.detected_at - window,
            incident__detected_at__lte=incident.detected_at + window,
        )
        .filter(
            Exists(AffectedSystem.objects.filter(incident=OuterRef("incident"), system__in=systems))
        )
        .exclude(incident=incident)
        .select_related("incident")
        .order_by("incident__detected_at", "id")
    )


def shared_system(first, second):
    """One system both incidents affect (the lowest reference)."""
    link = (
        AffectedSystem.objects.filter(
            incident=first,
            system__in=AffectedSystem.objects.filter(incident=second).values("system"),
        )
        .select_related("system")
        .order_by("system__reference")
        .first()
    )
    return link.system if link else None


def recurrence_condition():
    """The register's ``recurrence`` filter: the incident is either side of a recurrence."""
    return Exists(Recurrence.objects.filter(earlier_incident=OuterRef("pk"))) | Exists(
        Recurrence.objects.filter(later_incident=OuterRef("pk"))
    )


# --- what closing needs (registered closure checks) --------------------------------------------


def closure_check_root_cause(incident) -> str | None:
    """Closing needs a confirmed root cause (DESIGN section 3, guard 4)."""
    if RootCause.objects.filter(incident=incident, status=RootCauseStatus.CONFIRMED).exists():
        return None
    return "a confirmed root cause"


def closure_check_scope(incident) -> str | None:
    """A P0/P1 incident closes only with its scope confirmed by a hand-verified sample — an
    estimate, however well bounded, is not what regulators are finally told."""
    if incident.severity is None or incident.severity > 1:
        return None
    status = (
        ScopeConfirmation.objects.filter(incident=incident).values_list("status", flat=True).first()
    )
    if status == ScopeStatus.CONFIRMED:
        return None
    if status == ScopeStatus.ESTIMATE:
        return "the scope confirmed for a P0/P1 incident (only a best estimate is recorded)"
    return "the scope confirmed for a P0/P1 incident (population, hand-verified sample, bounds)"


# --- the case file -----------------------------------------------------------------------------


def case_file_section(incident) -> dict:
    """Root cause (confirmed and ruled out, with whys, diagnostics and evidence hashes), scope
    with its bounds, the remediation plan and recurrences."""
    causes = list(root_causes_of(incident))
    return {
        "confirmed": next((c for c in causes if c.status == RootCauseStatus.CONFIRMED), None),
        "root_causes": causes,
        "scope": scope_of(incident),
        "plan": plan_of(incident),
        "recurrences": [
            {
                "r": r,
                "other": r.later_incident
                if r.earlier_incident_id == incident.pk
                else r.earlier_incident,
            }
            for r in recurrences_of(incident)
        ],
    }
