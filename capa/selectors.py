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


# === Management review (ISO/IEC 42001 clause 9.3): its compiled inputs and its pages ==========


def _review_bounds(period_start, period_end):
    """``[start, end)`` as aware datetimes: the period's first day from local midnight to the
    midnight after its last day."""
    from datetime import datetime, time

    from django.utils import timezone

    tz = timezone.get_current_timezone()
    start_at = datetime.combine(period_start, time.min, tzinfo=tz)
    end_at = datetime.combine(period_end + timedelta(days=1), time.min, tzinfo=tz)
    return start_at, end_at


def capa_period_figures(*, start_at, end_at, capas=None, incidents=None, now=None) -> dict:
    """The learning loop's management-review figures for ``[start_at, end_at)``: the CAPAs
    raised, implemented, verified effective and found ineffective in the period; those open and
    overdue now; the effectiveness checks passed and failed in the period; the audit findings
    raised in the period by classification and the nonconformities still open; the recurrences
    detected in the period and the CAPAs now possibly ineffective. ``capas`` is the CAPAs the
    reader may see and ``incidents`` the incidents (whose recurrences count; all by default).
    Four queries, whatever the data."""
    from django.db.models import Count
    from django.utils import timezone

    from aims.clocks.selectors import overdue_exists as _overdue

    from .choices import NONCONFORMITIES, FindingClassification, FindingStatus
    from .models import EffectivenessCheck

    now = now or timezone.now()
    capas = CorrectiveAction.objects.all() if capas is None else capas
    in_period = {"__gte": start_at, "__lt": end_at}

    def between(field):
        return Q(**{f"{field}{k}": v for k, v in in_period.items()})

    still_open = Q(status__in=list(OPEN_ACTION_STATUSES))
    capa = capas.annotate(
        overdue_now=_overdue(CorrectiveAction, now=now),
        doubted=possibly_ineffective(),
    ).aggregate(
        raised=Count("id", filter=between("created_at")),
        implemented=Count("id", filter=between("implemented_at")),
        verified_effective=Count(
            "id", filter=between("verified_at") & Q(status=ActionStatus.VERIFIED_EFFECTIVE)
        ),
        ineffective=Count(
            "id", filter=between("ineffective_at") & Q(status=ActionStatus.INEFFECTIVE)
        ),
        open=Count("id", filter=still_open),
        overdue=Count("id", filter=still_open & Q(overdue_now=True)),
        possibly_ineffective=Count("id", filter=Q(doubted=True)),
    )
    checks = EffectivenessCheck.objects.filter(
        capa__in=capas.values("pk"), verified_at__gte=start_at, verified_at__lt=end_at
    ).aggregate(
        passed=Count("id", filter=Q(result=CheckResult.PASSED)),
        failed=Count("id", filter=Q(result=CheckResult.FAILED)),
    )
    finding_counts = {
        f"raised_{c.value}": Count("id", filter=between("created_at") & Q(classification=c.value))
        for c in FindingClassification
    }
    findings = Finding.objects.aggregate(
        **finding_counts,
        open_nonconformities=Count(
            "id",
            filter=Q(classification__in=list(NONCONFORMITIES)) & ~Q(status=FindingStatus.CLOSED),
        ),
    )
    recurrences = Recurrence.objects.filter(
        later_incident__detected_at__gte=start_at, later_incident__detected_at__lt=end_at
    )
    if incidents is not None:
        recurrences = recurrences.filter(later_incident__in=incidents.values("pk"))
    recurrences = recurrences.count()
    return {
        "capa": capa,
        "checks": checks,
        "findings": {
            "by_classification": [
                {"key": c.value, "label": str(c.label), "count": findings[f"raised_{c.value}"]}
                for c in FindingClassification
            ],
            "raised": sum(findings[f"raised_{c.value}"] for c in FindingClassification),
            "open_nonconformities": findings["open_nonconformities"],
        },
        "recurrences": recurrences,
    }


def _significant_incidents(start_at, end_at):
    """The period's P0/P1 incidents (rejected reports and exercises left out)."""
    from incidents.choices import Kind, Severity, Status

    qs = Incident.objects.filter(
        detected_at__gte=start_at,
        detected_at__lt=end_at,
        severity__in=[Severity.P0, Severity.P1],
    ).exclude(status=Status.REJECTED)
    if "exercise" in Kind.values:  # an exercise is not an incident for the review
        qs = qs.exclude(kind="exercise")
    return qs


def management_review_inputs(*, period_start, period_end, now=None) -> dict:
    """The inputs a management review looks at, compiled from the data for its period
    (ISO/IEC 42001 clause 9.3.2): the significant (P0/P1) incidents, the trend of incidents by
    month and severity, the incident clocks met and missed, the CAPA status, the audit findings
    and the recurrences. JSON-ready, so the record can freeze it when the review is held.

    Compiled over the whole register (the review is management's, not one reader's); incidents
    appear by reference, severity and status only, never their titles."""
    from django.db.models import Count
    from django.db.models.functions import Trunc
    from django.utils import timezone

    from aims.clocks.choices import ClockState
    from aims.clocks.models import Clock
    from incidents.choices import Status

    now = now or timezone.now()
    start_at, end_at = _review_bounds(period_start, period_end)
    significant = [
        {
            "id": row["id"],
            "reference": row["reference"],
            "severity": f"P{row['severity']}",
            "status": row["status"],
            "status_label": str(Status(row["status"]).label),
            "detected_on": timezone.localtime(row["detected_at"]).date().isoformat(),
        }
        for row in _significant_incidents(start_at, end_at)
        .order_by("detected_at", "id")
        .values("id", "reference", "severity", "status", "detected_at")
    ]
    counted = Incident.objects.filter(detected_at__gte=start_at, detected_at__lt=end_at).exclude(
        status=Status.REJECTED
    )
    tz = timezone.get_current_timezone()
    months: dict[str, dict] = {}
    for row in (
        counted.annotate(month=Trunc("detected_at", "month", tzinfo=tz))
        .values("month", "severity")
        .annotate(n=Count("id"))
        .order_by("month")
    ):
        key = timezone.localtime(row["month"], tz).strftime("%Y-%m")
        bucket = months.setdefault(
            key, {"month": key, "P0": 0, "P1": 0, "P2": 0, "P3": 0, "unset": 0, "total": 0}
        )
        severity = "unset" if row["severity"] is None else f"P{row['severity']}"
        bucket[severity] += row["n"]
        bucket["total"] += row["n"]
    overdue = Q(state=ClockState.BREACHED, met_at__isnull=True) | Q(
        state=ClockState.RUNNING, due_at__lt=now
    )
    clocks = Clock.objects.filter(
        target_type__app_label="incidents",
        target_type__model="incident",
        target_id__in=counted.values("id"),
    ).aggregate(
        met=Count("id", filter=Q(state=ClockState.MET)),
        late=Count("id", filter=Q(state=ClockState.BREACHED, met_at__isnull=False)),
        missed=Count("id", filter=overdue),
    )
    recurrences = [
        {
            "earlier": row["earlier_incident__reference"],
            "later": row["later_incident__reference"],
            "system": row["system__reference"],
            "category": row["category"],
            "days_apart": row["days_apart"],
        }
        for row in Recurrence.objects.filter(
            later_incident__detected_at__gte=start_at, later_incident__detected_at__lt=end_at
        )
        .order_by("created_at", "id")
        .values(
            "earlier_incident__reference",
            "later_incident__reference",
            "system__reference",
            "category",
            "days_apart",
        )
    ]
    figures = capa_period_figures(start_at=start_at, end_at=end_at, now=now)
    return {
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "compiled_at": now.isoformat(),
        "incidents": counted.count(),
        "significant": significant,
        "trend": list(months.values()),
        "clocks": clocks,
        "capa": figures["capa"],
        "checks": figures["checks"],
        "findings": figures["findings"],
        "recurrences": recurrences,
    }


def review_inputs_of(review) -> dict:
    """What the review's page shows: the frozen snapshot once recorded, the live compilation
    while it is a draft."""
    if review.inputs is not None:
        return review.inputs
    return management_review_inputs(period_start=review.period_start, period_end=review.period_end)


def management_reviews_visible_to(user):
    from .models import ManagementReview
    from .permissions import can_read_reviews

    if not can_read_reviews(user):
        return ManagementReview.objects.none()
    return ManagementReview.objects.all()


def management_review_page(user, pk):
    from .models import ManagementReviewAction, ManagementReviewAttendee

    return (
        management_reviews_visible_to(user)
        .select_related("created_by", "recorded_by", "approved_by")
        .prefetch_related(
            Prefetch(
                "attendance", queryset=ManagementReviewAttendee.objects.select_related("user")
            ),
            Prefetch(
                "actions",
                queryset=ManagementReviewAction.objects.select_related("capa__owner"),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def review_coverage_of(incident):
    """The management reviews that covered the incident (recorded ones), newest first."""
    from .models import ManagementReview

    return ManagementReview.objects.filter(covered_incidents__incident=incident).order_by(
        "-meeting_date", "-id"
    )


def review_uncovered_condition():
    """The register's ``review_uncovered`` filter: a P0/P1 incident (not rejected) that no
    recorded management review has covered yet."""
    from incidents.choices import Severity, Status

    from .models import ManagementReviewIncident

    return (
        Q(severity__in=[Severity.P0, Severity.P1])
        & ~Q(status=Status.REJECTED)
        & ~Exists(ManagementReviewIncident.objects.filter(incident=OuterRef("pk")))
    )


# === The learning loop in documents of several incidents (the audit sample's index) ==========


def capas_by_incident(incident_ids) -> dict[int, list[dict]]:
    """Each incident's CAPAs as the audit sample's index lists them: reference, title, status,
    effectiveness-check result. One query, whatever the number of incidents."""
    found: dict[int, list[dict]] = {pk: [] for pk in incident_ids}
    links = (
        CapaIncidentLink.objects.filter(incident_id__in=list(incident_ids))
        .select_related("capa__effectiveness_check")
        .order_by("incident_id", "capa__created_at", "capa_id")
    )
    for link in links:
        capa = link.capa
        check = getattr(capa, "effectiveness_check", None)
        found.setdefault(link.incident_id, []).append(
            {
                "reference": capa.reference,
                "title": capa.title,
                "status": capa.status,
                "effectiveness_check": check.result if check else None,
            }
        )
    return found


def capa_history_of_incident(incident_id) -> Q:
    """The case file's audit trail: the history rows of the CAPAs that answer the incident
    (a CAPA's own rows carry no incident column; its links do)."""
    return Q(id__in=CapaIncidentLink.objects.filter(incident_id=incident_id).values("capa_id"))


def management_review_case_file_section(incident) -> dict:
    """The case file's management-review section: the reviews that covered the incident, and
    for a P0/P1 one that none has yet."""
    severe = incident.severity is not None and incident.severity <= 1
    return {"severe": severe, "covering": list(review_coverage_of(incident))}


def register_export_columns() -> dict:
    """What the incident register export adds per incident, as annotations over
    ``OuterRef("pk")``: its CAPAs' references (an array) and its confirmed root cause's
    category — subqueries, so the export stays one streamed query."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import Subquery

    return {
        "capa_references": ArraySubquery(
            CapaIncidentLink.objects.filter(incident=OuterRef("pk"))
            .order_by("capa__reference")
            .values("capa__reference")
        ),
        "root_cause_category": Subquery(
            RootCause.objects.filter(
                incident=OuterRef("pk"), status=RootCauseStatus.CONFIRMED
            ).values("category")[:1]
        ),
    }


# === post-incident reviews ==================================================================
# The timeline and the documentation check are computed here from the record (the rules are
# ``capa.post_incident``); a submitted or approved review shows its frozen snapshot instead.


def reviews_visible_to(user):
    """Whoever sees the incident reads its review (auditors, reading roles, an engineer of an
    affected system)."""
    from .models import PostIncidentReview

    return PostIncidentReview.objects.filter(incident__in=incidents_visible_to(user).values("pk"))


def review_of(incident):
    from .models import PostIncidentReview

    return (
        PostIncidentReview.objects.filter(incident=incident)
        .select_related("submitted_by", "approved_by", "returned_by")
        .first()
    )


def _review_overdue():
    """An ``Exists``: the incident's post-incident-review clock is past due and not met."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from aims.clocks.choices import ACTIVE
    from aims.clocks.models import Clock

    from .clocks import REVIEW_CLOCK

    return Exists(
        Clock.objects.filter(
            ACTIVE,
            target_type=ContentType.objects.get_for_model(Incident),
            target_id=OuterRef("incident_id"),
            kind=REVIEW_CLOCK,
            due_at__lt=timezone.now(),
        )
    )


def review_list(user, *, status: str = "", overdue: bool | None = None):
    qs = (
        reviews_visible_to(user)
        .annotate(is_overdue=_review_overdue())
        .select_related("incident", "approved_by")
        .order_by("due_at", "id")
    )
    if status:
        qs = qs.filter(status=status)
    if overdue is True:
        qs = qs.filter(is_overdue=True)
    elif overdue is False:
        qs = qs.filter(is_overdue=False)
    return qs


def review_page(user, pk):
    from .models import ReviewAction

    return (
        reviews_visible_to(user)
        .select_related("incident", "submitted_by", "approved_by", "returned_by")
        .prefetch_related(
            Prefetch(
                "actions",
                queryset=ReviewAction.objects.select_related("capa", "capa__owner").order_by("id"),
            )
        )
        .filter(pk=pk)
        .first()
    )


def _system_facts(incident, *, rerouted_systems) -> list:
    from inventory.choices import ChangeType
    from inventory.models import AISystem, Deployment

    from .post_incident import SystemFacts, last_change_since

    links = list(
        AffectedSystem.objects.filter(incident=incident)
        .select_related("system")
        .only(
            "id",
            "model_version_id",
            "system__id",
            "system__reference",
            "system__name",
            "system__validation_status",
            "system__model_card_url",
        )
        .order_by("system__reference")
    )
    ids = [link.system_id for link in links]
    rows: dict[int, list] = {pk: [] for pk in ids}
    for row in (
        AISystem.history.filter(id__in=ids)
        .order_by("history_date", "history_id")
        .values_list("id", "history_date", "validation_status", "model_card_url")
    ):
        rows[row[0]].append(row[1:])
    rollbacks: dict[int, object] = {}
    for system_id, deployed_at in Deployment.objects.filter(
        system_id__in=ids, change_type=ChangeType.ROLLBACK, deployed_at__gte=incident.detected_at
    ).values_list("system_id", "deployed_at"):
        rollbacks[system_id] = max(deployed_at, rollbacks.get(system_id, deployed_at))
    since = incident.detected_at
    facts = []
    for link in links:
        system, history = link.system, rows[link.system_id]
        facts.append(
            SystemFacts(
                reference=system.reference,
                name=system.name,
                validation_status=system.get_validation_status_display(),
                validation_changed_at=last_change_since([(h[0], h[1]) for h in history], since),
                version_pinned=link.model_version_id is not None,
                model_card_url=system.model_card_url,
                model_card_changed_at=last_change_since([(h[0], h[2]) for h in history], since),
                rollback_logged_at=rollbacks.get(system.pk),
                rolled_back=system.pk in rerouted_systems,
            )
        )
    return facts


def _duration_text(seconds) -> str:
    if seconds is None:
        return "—"
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


def review_computed(review) -> dict:
    """The review's timeline, root cause with its evidence and documentation check, computed
    now from the record, as plain JSON-ready values (what the snapshot freezes)."""
    from incidents.choices import ContainmentOption
    from incidents.models import ContainmentDecision

    from . import post_incident
    from .choices import RemediationKind

    incident = review.incident
    line = post_incident.timeline(
        failure_began=incident.failure_began_at,
        detected=incident.detected_at,
        contained=incident.contained_at,
        resolved=incident.resolved_at,
        closed=incident.closed_at,
    ).as_dict()
    for key in ("time_to_detect", "time_to_contain", "time_to_resolve", "total"):
        line[f"{key}_text"] = _duration_text(line[f"{key}_seconds"])
    rerouted = set(
        ContainmentDecision.objects.filter(
            incident=incident, option=ContainmentOption.REROUTE, fallback_version__isnull=False
        ).values_list("fallback_version__system_id", flat=True)
    )
    rollback_done = (
        bool(rerouted)
        or RemediationItem.objects.filter(
            plan__incident=incident, kind=RemediationKind.ROLLBACK, done_at__isnull=False
        ).exists()
    )
    check = post_incident.documentation_check(
        _system_facts(incident, rerouted_systems=rerouted),
        limitation_revealed=review.limitation_revealed,
        rollback_done=rollback_done,
    )
    cause = (
        RootCause.objects.filter(incident=incident, status=RootCauseStatus.CONFIRMED)
        .prefetch_related(
            Prefetch(
                "evidence_links", queryset=RootCauseEvidence.objects.select_related("evidence")
            )
        )
        .first()
    )
    root_cause = None
    if cause is not None:
        root_cause = {
            "category": cause.category,
            "category_display": str(cause.get_category_display()),
            "statement": cause.statement,
            "contributing_factors": cause.contributing_factors,
            "confirmed_at": cause.confirmed_at.isoformat() if cause.confirmed_at else None,
            "evidence": [
                {
                    "name": link.evidence.original_name,
                    "sha256": link.evidence.sha256,
                    "note": link.note,
                }
                for link in cause.evidence_links.all()
            ],
        }
    return {
        "timeline": line,
        "root_cause": root_cause,
        "rollback_done": rollback_done,
        "documentation": check.as_list(),
        "documentation_complete": check.complete,
    }


def review_facts(review) -> dict:
    """What the page, the API and the case file show: the frozen snapshot once the review is
    submitted or approved, else the record as it is now."""
    if review.snapshot and not review.is_editable:
        return {**review.snapshot, "frozen": True}
    return {**review_computed(review), "frozen": False}


def review_case_file_section(incident) -> dict | None:
    review = review_of(incident)
    if review is None:
        return {"review": None}
    from .models import ReviewAction

    actions = list(ReviewAction.objects.filter(review=review).select_related("capa", "capa__owner"))
    return {"review": review, "facts": review_facts(review), "actions": actions}


def learning_period_figures(incidents, *, now=None) -> dict:
    """Root causes confirmed for the period's incidents, by playbook category, and their
    post-incident reviews: approved on time (by the review's due date), approved late, still
    open past due, still open within time. Two queries, whatever the data."""
    from django.db.models import Count, F
    from django.utils import timezone

    from .choices import ReviewStatus, RootCauseCategory
    from .models import PostIncidentReview

    now = now or timezone.now()
    labels = dict(RootCauseCategory.choices)
    by_category = list(
        RootCause.objects.filter(incident__in=incidents, status=RootCauseStatus.CONFIRMED)
        .values("category")
        .annotate(count=Count("id"))
        .order_by("-count", "category")
    )
    approved = Q(status=ReviewStatus.APPROVED)
    reviews = PostIncidentReview.objects.filter(incident__in=incidents).aggregate(
        opened=Count("id"),
        on_time=Count("id", filter=approved & Q(approved_at__lte=F("due_at"))),
        late=Count("id", filter=approved & Q(approved_at__gt=F("due_at"))),
        overdue=Count("id", filter=~approved & Q(due_at__lt=now)),
        pending=Count("id", filter=~approved & Q(due_at__gte=now)),
    )
    return {
        "root_causes": [
            {
                "key": row["category"],
                "label": str(labels.get(row["category"], row["category"])),
                "count": row["count"],
            }
            for row in by_category
        ],
        "root_causes_confirmed": sum(row["count"] for row in by_category),
        "reviews": reviews,
    }
