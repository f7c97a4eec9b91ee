"""The gap checks: each finds one kind of broken evidence link across the scope."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.choices import Status as IncidentStatus
from incidents.models import Incident
from incidents.rules import incident_references_in
from inventory.choices import ChangeType, Environment, LifecycleStatus
from inventory.models import AISystem, MonitoringRule

from ..choices import RiskStatus
from ..models import RiskSystem
from .base import (
    Gap,
    GapCheck,
    Scope,
    _ref,
    _system_url,
    capa_overdue,
    entry_updated_after,
    incident_open_at,
    names_known_incident,
    register_gap_check,
    review_overdue,
    threshold_changes,
)
from .reads import (
    _affected,
    _assessments,
    _by_system,
    _capas,
    _deployments,
    _risks,
    _rules,
    _versions,
)

# --- the gap checks -----------------------------------------------------------------------------


def gaps_version_not_approved(scope: Scope) -> list[Gap]:
    """A version that went to production without a recorded approval (clause 8.3)."""
    in_production = {
        d.model_version_id for d in _deployments(scope) if d.environment == Environment.PRODUCTION
    }
    return [
        Gap(
            code="version_not_approved",
            system_id=v.system_id,
            system_reference=_ref(scope, v.system_id),
            subject=v.version_label,
            message=_("Version %(v)s was deployed to production but never approved.")
            % {"v": v.version_label},
            fix_url=_system_url(v.system_id),
        )
        for v in _versions(scope)
        if v.pk in in_production and v.approved_at is None
    ]


def gaps_deployment_without_reference(scope: Scope) -> list[Gap]:
    return [
        Gap(
            code="deployment_without_change_reference",
            system_id=d.system_id,
            system_reference=_ref(scope, d.system_id),
            subject=f"{d.get_change_type_display()} {d.model_version.version_label}",
            message=_(
                "The %(type)s of %(v)s to %(env)s on %(at)s has no change reference "
                "(ticket or pull request)."
            )
            % {
                "type": d.get_change_type_display().lower(),
                "v": d.model_version.version_label,
                "env": d.get_environment_display().lower(),
                "at": timezone.localdate(d.deployed_at).isoformat(),
            },
            fix_url=_system_url(d.system_id),
        )
        for d in _deployments(scope)
        if not d.change_reference.strip()
    ]


def gaps_rollback_without_incident(scope: Scope) -> list[Gap]:
    """A rollback answers a problem: an incident of the system open at the time, or one its
    change reference or notes name."""
    incidents = _by_system((a.system_id, a.incident) for a in _affected(scope))
    gaps = []
    for d in _deployments(scope):
        if d.change_type != ChangeType.ROLLBACK:
            continue
        mine = incidents.get(d.system_id, [])
        named = incident_references_in(f"{d.change_reference} {d.notes}")
        if any(i.reference in named for i in mine) or any(
            incident_open_at(i.detected_at, i.closed_at, d.deployed_at) for i in mine
        ):
            continue
        gaps.append(
            Gap(
                code="rollback_without_incident",
                system_id=d.system_id,
                system_reference=_ref(scope, d.system_id),
                subject=f"{d.get_change_type_display()} {d.model_version.version_label}",
                message=_(
                    "The rollback to %(v)s on %(at)s is linked to no incident: none of the "
                    "system was open then, and the change reference names none."
                )
                % {"v": d.model_version.version_label, "at": timezone.localdate(d.deployed_at)},
                fix_url=reverse("incidents:incident-create"),
            )
        )
    return gaps


def gaps_threshold_change_without_incident(scope: Scope) -> list[Gap]:
    """Monitoring thresholds change because of an incident (DESIGN, inventory): each change's
    reason must name an incident reference that exists."""
    rules = {r.pk: r for r in _rules(scope)}
    if not rules:
        return []
    history = list(
        MonitoringRule.history.filter(id__in=list(rules))
        .only("id", "threshold", "change_reason", "history_date")
        .order_by("id", "history_date", "history_id")
    )
    per_rule = defaultdict(list)
    for row in history:
        per_rule[row.id].append(row)
    changes = [(rid, c) for rid, rows in per_rule.items() for c in threshold_changes(rows)]
    named = set().union(*(incident_references_in(c.change_reason) for _rid, c in changes))
    known = (
        set(Incident.objects.filter(reference__in=list(named)).values_list("reference", flat=True))
        if named
        else set()
    )
    gaps = []
    for rule_id, change in changes:
        if names_known_incident(change.change_reason, known):
            continue
        rule = rules[rule_id]
        gaps.append(
            Gap(
                code="threshold_change_without_incident",
                system_id=rule.system_id,
                system_reference=_ref(scope, rule.system_id),
                subject=rule.metric,
                message=_(
                    "The threshold of %(metric)s changed to %(t)s on %(at)s without naming the "
                    "incident that prompted it."
                )
                % {
                    "metric": rule.metric,
                    "t": change.threshold,
                    "at": timezone.localdate(change.history_date),
                },
                fix_url=reverse("inventory:monitoring-rule-edit", args=[rule_id]),
            )
        )
    return gaps


def gaps_system_not_updated(scope: Scope) -> list[Gap]:
    """After a closed incident the system's entry is revised (validation status, model card,
    description): the post-incident review's documentation update. The last revision of the
    entry is read from its audit history, in one query for the scope."""
    closed = [a for a in _affected(scope) if a.incident.status == IncidentStatus.CLOSED]
    if not closed:
        return []
    last_change = dict(
        AISystem.history.filter(id__in={a.system_id for a in closed}, history_type="~")
        .values("id")
        .annotate(last=Max("history_date"))
        .values_list("id", "last")
    )
    gaps = []
    for a in closed:
        resolved = a.incident.resolved_at or a.incident.closed_at
        if entry_updated_after(last_change.get(a.system_id), resolved):
            continue
        gaps.append(
            Gap(
                code="system_not_updated_after_incident",
                system_id=a.system_id,
                system_reference=_ref(scope, a.system_id),
                subject=a.incident.reference,
                message=_(
                    "%(inc)s was closed but the system's entry (validation status, model card, "
                    "description) was not updated after it was resolved on %(at)s."
                )
                % {"inc": a.incident.reference, "at": timezone.localdate(resolved)},
                fix_url=reverse("inventory:system-edit", args=[a.system_id]),
            )
        )
    return gaps


def gaps_capa_overdue(scope: Scope) -> list[Gap]:
    return [
        Gap(
            code="capa_overdue",
            system_id=system_id,
            system_reference=_ref(scope, system_id),
            subject=c.reference,
            message=_("%(ref)s (%(owner)s) was due on %(at)s and is still %(status)s.")
            % {
                "ref": c.reference,
                "owner": c.owner,
                "at": timezone.localdate(c.due_at),
                "status": c.get_status_display().lower(),
            },
            fix_url=c.get_absolute_url(),
        )
        for system_id, c in _capas(scope)
        if capa_overdue(c.status, c.due_at, scope.now)
    ]


def gaps_risk_review_overdue(scope: Scope) -> list[Gap]:
    return [
        Gap(
            code="risk_review_overdue",
            system_id=system_id,
            system_reference=_ref(scope, system_id),
            subject=r.reference,
            message=_("%(ref)s was due for review on %(at)s.")
            % {"ref": r.reference, "at": r.next_review_date},
            fix_url=reverse("risk:risk-review", args=[r.pk]),
        )
        for system_id, r in _risks(scope)
        if r.status != RiskStatus.CLOSED and review_overdue(r.next_review_date, scope.today)
    ]


def gaps_production_without_risk(scope: Scope) -> list[Gap]:
    """A system in production with no open risk in the register (clause 6.1.2: risks of
    every AI system are assessed). Counts every open risk, also those hidden from the reader:
    the system's risks exist, whoever may see them."""
    production = [s.pk for s in scope.systems if s.lifecycle_status == LifecycleStatus.PRODUCTION]
    if not production:
        return []
    with_risk = set(
        RiskSystem.objects.filter(system_id__in=production)
        .exclude(risk__status=RiskStatus.CLOSED)
        .values_list("system_id", flat=True)
    )
    return [
        Gap(
            code="production_without_risk",
            system_id=system_id,
            system_reference=_ref(scope, system_id),
            subject=_ref(scope, system_id),
            message=_("The system is in production and no open risk of the register concerns it."),
            fix_url=reverse("risk:risk-create"),
        )
        for system_id in production
        if system_id not in with_risk
    ]


def gaps_impact_assessment(scope: Scope) -> list[Gap]:
    """A system in production with no approved impact assessment, one past its due date, or
    one marked due for review by a retrain, a vendor update, a prompt change or a P0/P1
    incident (ISO/IEC 42001 clause 8.4, A.5.2)."""
    from ..choices import ImpactStatus
    from ..models import ImpactReviewFlag

    production = {s.pk for s in scope.systems if s.lifecycle_status == LifecycleStatus.PRODUCTION}
    approved = {}
    for a in _assessments(scope):
        if a.status == ImpactStatus.APPROVED:
            approved.setdefault(a.system_id, a)
    flagged = {
        f.system_id: f
        for f in ImpactReviewFlag.objects.filter(
            system_id__in=scope.system_ids, cleared_at__isnull=True
        ).only("pk", "system_id", "reason")
    }
    gaps = []
    for system_id in scope.system_ids:
        current = approved.get(system_id)
        if current is None:
            if system_id in production:
                message = _("The system is in production and has no approved impact assessment.")
                subject = _ref(scope, system_id)
            else:
                continue
        elif system_id in flagged:
            message = _("The impact assessment is due for review: %(reason)s") % {
                "reason": flagged[system_id].reason
            }
            subject = current.reference
        elif current.next_due_date and current.next_due_date < scope.today:
            message = _("%(ref)s was due for its next assessment on %(at)s.") % {
                "ref": current.reference,
                "at": current.next_due_date,
            }
            subject = current.reference
        else:
            continue
        gaps.append(
            Gap(
                code="impact_assessment_due",
                system_id=system_id,
                system_reference=_ref(scope, system_id),
                subject=subject,
                message=message,
                fix_url=reverse("risk:impact-create") + f"?system={system_id}",
            )
        )
    return gaps


register_gap_check(
    GapCheck(
        code="version_not_approved",
        label=gettext_lazy("Production version never approved"),
        step="approval",
        order=30,
        find=gaps_version_not_approved,
    ),
    GapCheck(
        code="deployment_without_change_reference",
        label=gettext_lazy("Deployment without a change reference"),
        step="deployment",
        order=40,
        find=gaps_deployment_without_reference,
    ),
    GapCheck(
        code="rollback_without_incident",
        label=gettext_lazy("Rollback without a linked incident"),
        step="deployment",
        order=41,
        find=gaps_rollback_without_incident,
    ),
    GapCheck(
        code="threshold_change_without_incident",
        label=gettext_lazy("Threshold changed without a linked incident"),
        step="monitoring",
        order=50,
        find=gaps_threshold_change_without_incident,
    ),
    GapCheck(
        code="system_not_updated_after_incident",
        label=gettext_lazy("System entry not updated after a closed incident"),
        step="incidents",
        order=60,
        find=gaps_system_not_updated,
    ),
    GapCheck(
        code="capa_overdue",
        label=gettext_lazy("CAPA overdue"),
        step="capas",
        order=70,
        find=gaps_capa_overdue,
    ),
    GapCheck(
        code="risk_review_overdue",
        label=gettext_lazy("Risk past its review date"),
        step="risks",
        order=80,
        find=gaps_risk_review_overdue,
    ),
    GapCheck(
        code="production_without_risk",
        label=gettext_lazy("System in production with no risk"),
        step="risks",
        order=81,
        find=gaps_production_without_risk,
    ),
    GapCheck(
        code="impact_assessment_due",
        label=gettext_lazy("Impact assessment missing, overdue or due for review"),
        step="impact",
        order=90,
        find=gaps_impact_assessment,
    ),
)
