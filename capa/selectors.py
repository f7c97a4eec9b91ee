"""Reads of the learning loop, shared by the incident page, the API and the case file. Access
follows the incident: callers first find the incident through ``incidents_visible_to``."""

from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext as _

from aims.clocks.selectors import overdue_exists
from aims.core.permissions import has_any_role, has_role
from incidents.choices import Kind
from incidents.models import AffectedSystem, Incident
from incidents.selectors import incidents_visible_to

from .choices import OPEN_ACTION_STATUSES, ActionStatus, CheckResult, RootCauseStatus, ScopeStatus
from .models import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    Diagnostic,
    Finding,
    NoCapaDecision,
    Recurrence,
    RecurrencePolicy,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)
from .permissions import reads_all_capas

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
            # Whoever sees the incident sees what was done about it (as ``capas_of_incident``).
            Prefetch(
                "capas",
                queryset=CorrectiveAction.objects.only(
                    "id", "reference", "title", "status", "root_cause_id"
                ).order_by("id"),
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
    system with this one, detected within ``window_days`` of it (either side).

    Exercises take no part: an exercise's root cause is played, so it is never a recurrence of
    a real one, nor a real one of it (``Kind.EXERCISE``: no figure counts exercises)."""
    incident = root_cause.incident
    if incident.kind == Kind.EXERCISE:
        return []
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
        .exclude(incident__kind=Kind.EXERCISE)
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


def investigation_case_file_section(incident) -> dict:
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


# === CAPA records, effectiveness checks, audit findings and the no-CAPA decision ============
def possibly_ineffective_condition() -> Q:
    """A CAPA is possibly ineffective when an incident it answers recurred (a ``Recurrence``
    names that incident as the earlier one) and it was not cancelled. Computed from the data
    each time, never stored, so it appears and disappears with the recurrence; one ``EXISTS``,
    so the register filters on it without ``DISTINCT``."""
    recurred = Exists(Recurrence.objects.filter(earlier_incident__capa_links__capa=OuterRef("pk")))
    return Q(recurred) & ~Q(status=ActionStatus.CANCELLED)


def possibly_ineffective():
    return Case(
        When(possibly_ineffective_condition(), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def recurrences_doubting(capa, user) -> list[Recurrence]:
    """The recurrences that put the CAPA in doubt, of the incidents it answers that ``user``
    sees (for the sentence on the CAPA page)."""
    if not getattr(capa, "possibly_ineffective", False):
        return []
    return list(
        Recurrence.objects.filter(
            earlier_incident__capa_links__capa=capa,
            earlier_incident__in=incidents_visible_to(user).values("pk"),
        )
        .select_related("earlier_incident", "system")
        .order_by("created_at", "id")
    )


def capas_in_doubt_by(incident, user) -> QuerySet[CorrectiveAction]:
    """The earlier incidents' CAPAs that this incident's recurrence puts in doubt (the later
    incident's CAPA section), of the earlier incidents ``user`` sees."""
    doubted = Recurrence.objects.filter(
        later_incident=incident,
        earlier_incident__capa_links__capa=OuterRef("pk"),
        earlier_incident__in=incidents_visible_to(user).values("pk"),
    )
    return (
        CorrectiveAction.objects.filter(Exists(doubted))
        .exclude(status=ActionStatus.CANCELLED)
        .select_related("owner")
        .order_by("created_at", "id")
    )


def capas_visible_to(user) -> QuerySet[CorrectiveAction]:
    """Who sees a CAPA: its owner and implementer; the reading roles, unless it answers an
    incident hidden from them (a restricted one); everyone else, when it answers an incident
    they see (an engineer's system)."""
    if not has_any_role(user):
        return CorrectiveAction.objects.none()
    qs = CorrectiveAction.objects.all()
    if user.is_superuser or has_role(user, "grc"):
        return qs
    visible = incidents_visible_to(user).values("pk")
    mine = Q(owner=user) | Q(implementer=user)
    sees_one = Exists(CapaIncidentLink.objects.filter(capa=OuterRef("pk"), incident__in=visible))
    if reads_all_capas(user):
        hidden = Exists(
            CapaIncidentLink.objects.filter(capa=OuterRef("pk")).exclude(incident__in=visible)
        )
        return qs.filter(mine | ~hidden)
    return qs.filter(mine | sees_one)


def findings_visible_to(user) -> QuerySet[Finding]:
    """Audit findings concern the management system, not one incident: every role reads them."""
    if not has_any_role(user):
        return Finding.objects.none()
    return Finding.objects.all()


def _incident_links(user):
    return Prefetch(
        "links",
        queryset=CapaIncidentLink.objects.filter(
            incident__in=incidents_visible_to(user).values("pk")
        )
        .select_related("incident")
        .only("id", "capa_id", "incident__id", "incident__reference", "incident__title"),
    )


def register(user) -> QuerySet[CorrectiveAction]:
    """The CAPA register's rows with what the list shows, in a bounded number of queries."""
    return (
        capas_visible_to(user)
        .annotate(
            is_overdue=overdue_exists(CorrectiveAction), possibly_ineffective=possibly_ineffective()
        )
        .select_related(
            "owner",
            "implementer",
            "effectiveness_check__verified_by",
            "finding",
            "follows",
            "root_cause",
        )
        .prefetch_related(_incident_links(user))
    )


def capa_page(user, pk) -> CorrectiveAction | None:
    return (
        capas_visible_to(user)
        .annotate(
            is_overdue=overdue_exists(CorrectiveAction), possibly_ineffective=possibly_ineffective()
        )
        .select_related(
            "owner",
            "implementer",
            "created_by",
            "finding",
            "follows",
            "root_cause",
            "effectiveness_check__verified_by",
            "effectiveness_check__planned_by",
        )
        .prefetch_related(
            _incident_links(user),
            Prefetch("evidence", queryset=ActionEvidence.objects.select_related("captured_by")),
            Prefetch(
                "follow_ups",
                queryset=CorrectiveAction.objects.only(
                    "id", "reference", "title", "status", "follows_id"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def capas_of_incident(incident) -> QuerySet[CorrectiveAction]:
    """An incident's CAPAs with their checks (the incident page and the case file): whoever
    sees the incident sees what was done about it."""
    return (
        CorrectiveAction.objects.filter(links__incident=incident)
        .annotate(possibly_ineffective=possibly_ineffective())
        .select_related("owner", "root_cause", "effectiveness_check__verified_by")
        .order_by("created_at", "id")
    )


def no_capa_decision_of(incident) -> NoCapaDecision | None:
    return NoCapaDecision.objects.filter(incident=incident).select_related("decided_by").first()


def my_open_capas(user):
    if not has_any_role(user):
        return CorrectiveAction.objects.none()
    return (
        CorrectiveAction.objects.filter(Q(owner=user) | Q(implementer=user))
        .filter(status__in=list(OPEN_ACTION_STATUSES))
        .annotate(is_overdue=overdue_exists(CorrectiveAction))
        .order_by("due_at", "id")[:10]
    )


def finding_page(user, pk) -> Finding | None:
    return (
        findings_visible_to(user)
        .select_related("raised_by", "closed_by")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=CorrectiveAction.objects.select_related("owner").order_by("id"),
            )
        )
        .filter(pk=pk)
        .first()
    )


def closure_check(incident) -> str | None:
    """Guard 4 (DESIGN section 3): corrective actions, or a recorded reason for none."""
    linked = CapaIncidentLink.objects.filter(incident=incident).exclude(
        capa__status=ActionStatus.CANCELLED
    )
    decided = NoCapaDecision.objects.filter(incident=incident)
    if Incident.objects.filter(pk=incident.pk).filter(Exists(linked) | Exists(decided)).exists():
        return None
    return _("either a linked CAPA or a recorded decision that none is needed (with its reason)")


def capa_case_file_section(incident) -> dict:
    """The case file's CAPA section: each CAPA with its effectiveness result."""
    rows = []
    for capa in capas_of_incident(incident):
        check = getattr(capa, "effectiveness_check", None)
        rows.append(
            {
                "capa": capa,
                "check": check,
                "passed": check is not None and check.result == CheckResult.PASSED,
            }
        )
    return {"rows": rows, "no_capa": no_capa_decision_of(incident)}
