"""Reads of the CAPA records and findings: one access rule, and the querysets the pages, the API,
the case file and the closure check start from."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from aims.clocks.selectors import overdue_exists
from aims.core.permissions import has_any_role, has_role
from incidents.models import Incident
from incidents.selectors import incidents_visible_to

from .choices import OPEN_ACTION_STATUSES, ActionStatus, CheckResult
from .models import ActionEvidence, CapaIncidentLink, CorrectiveAction, Finding, NoCapaDecision
from .permissions import reads_all_capas


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
        .annotate(is_overdue=overdue_exists(CorrectiveAction))
        .select_related(
            "owner", "implementer", "effectiveness_check__verified_by", "finding", "follows"
        )
        .prefetch_related(_incident_links(user))
    )


def capa_page(user, pk) -> CorrectiveAction | None:
    return (
        capas_visible_to(user)
        .annotate(is_overdue=overdue_exists(CorrectiveAction))
        .select_related(
            "owner",
            "implementer",
            "created_by",
            "finding",
            "follows",
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
        .select_related("owner", "effectiveness_check__verified_by")
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
    return _(
        "at least one CAPA linked, or a recorded decision that no CAPA is needed (with its reason)"
    )


def case_file_section(incident) -> dict:
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
