"""The evidence trail of an AI system, and the consistency check of the whole inventory.

An auditor samples a system and walks its trail: requirement (intended purpose, validation
status, model card) -> evaluation -> approval -> deployment (the change log) -> monitoring
rules -> incidents -> CAPAs -> risks -> impact assessments (ISO/IEC 42001 clauses 6.1, 8.2-8.4,
9.1, 10.2). Each broken link is a *gap*, with a stable code, a sentence saying what is missing
and a link to the page where it is put right. The consistency check runs the same gap checks
over every system a person may see.

Two small registries make the trail: **trail steps** (what a step shows) and **gap checks**
(what a check finds). Both work on a :class:`Scope` — the person, the systems in question and
the time — for *all* those systems at once, so the trail of one system and the check of the
whole inventory are the same code and cost the same number of queries whatever the inventory's
size (no query per system).

How a module adds a step (the impact assessments, say), in its ``AppConfig.ready()`` or the
risk app's::

    from risk import trail

    trail.register_trail_step(
        trail.TrailStep(key="impact", title=_("Impact assessments"), order=90, rows=impact_rows)
    )
    trail.register_gap_check(
        trail.GapCheck(
            code="impact_assessment_overdue", label=_("Impact assessment missing or overdue"),
            step="impact", order=90, find=impact_gaps,
        )
    )

``rows(scope)`` returns ``{system_id: [TrailRow, ...]}`` and ``find(scope)`` a list of
:class:`Gap`; each runs a fixed number of queries for the whole scope (read
``scope.system_ids``, filter with ``__in``, never query per system) and shows only records the
person may see (start from the module's ``*_visible_to`` selector). ``step`` names the trail step
under which the check's gaps are flagged. Registering the same key or code again replaces the
entry, so a reload never doubles a step.

The pure rules (is a version approved, does a reason name an incident, was the entry updated
after the incident) are plain functions below, tested with plain values.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.accounts.choices import READ_ALL, Role
from capa.choices import ActionStatus
from capa.models import CapaIncidentLink, CorrectiveAction
from capa.selectors import capas_visible_to
from incidents.choices import Status as IncidentStatus
from incidents.models import AffectedSystem, Incident
from incidents.rules import incident_references_in
from incidents.selectors import incidents_visible_to
from inventory.choices import ChangeType, Environment, LifecycleStatus
from inventory.models import AISystem, Deployment, ModelVersion, MonitoringRule
from inventory.selectors import systems_owned_by, systems_visible_to

from .choices import RiskStatus
from .models import Risk, RiskSystem
from .selectors import risks_visible_to

OPEN_CAPA_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


# --- what a trail is made of --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Gap:
    """One broken link of a system's trail: ``code`` is stable (filters, the API, scripts)."""

    code: str
    system_id: int | None
    system_reference: str
    subject: str  # the record concerned: a version label, a change-log entry, INC-…, RISK-…
    message: str
    fix_url: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "system": self.system_id,
            "system_reference": self.system_reference,
            "subject": self.subject,
            "message": self.message,
            "fix_url": self.fix_url,
        }


@dataclass(frozen=True, kw_only=True)
class TrailRow:
    """One record on a step of the trail."""

    label: str
    detail: str = ""
    url: str = ""
    at: datetime | date | None = None


@dataclass(kw_only=True)
class Scope:
    """The person, the systems in question and the time a trail or a check is read at."""

    user: object
    systems: list
    now: datetime
    cache: dict = field(default_factory=dict)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def system_ids(self) -> list[int]:
        return [s.pk for s in self.systems]

    @cached_property
    def by_id(self) -> dict:
        return {s.pk: s for s in self.systems}

    def memo(self, key: str, compute: Callable[[], object]):
        """A read shared by a step and a check (versions, incidents): made once per scope."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True, kw_only=True)
class TrailStep:
    key: str
    title: str
    order: int
    rows: Callable[[Scope], dict[int, list[TrailRow]]]


@dataclass(frozen=True, kw_only=True)
class GapCheck:
    code: str
    label: str
    step: str
    order: int
    find: Callable[[Scope], list[Gap]]


_STEPS: dict[str, TrailStep] = {}
_CHECKS: dict[str, GapCheck] = {}


def register_trail_step(*steps: TrailStep) -> None:
    for step in steps:
        _STEPS[step.key] = step


def register_gap_check(*checks: GapCheck) -> None:
    for check in checks:
        _CHECKS[check.code] = check


def trail_steps() -> list[TrailStep]:
    return sorted(_STEPS.values(), key=lambda s: s.order)


def gap_checks() -> list[GapCheck]:
    return sorted(_CHECKS.values(), key=lambda c: c.order)


def gap_kinds() -> list[tuple[str, str]]:
    """(code, label) of every registered check, in trail order: the filter's choices."""
    return [(c.code, str(c.label)) for c in gap_checks()]


# --- pure rules ---------------------------------------------------------------------------------


def names_known_incident(reason: str, known: Iterable[str]) -> bool:
    """A threshold change is linked to an incident when its reason names one that exists."""
    return bool(incident_references_in(reason) & set(known))


def threshold_changes(rows: Iterable) -> list:
    """The history rows (oldest first, of one rule) at which the threshold took a new value;
    the first row (the rule's creation) is not a change."""
    changes, previous = [], None
    for row in rows:
        if previous is not None and row.threshold != previous:
            changes.append(row)
        previous = row.threshold
    return changes


def entry_updated_after(last_change: datetime | None, resolved_at: datetime | None) -> bool:
    """The system's inventory entry was revised after the incident was resolved (DESIGN:
    the post-incident documentation update — validation status, model card, description)."""
    if resolved_at is None:
        return True
    return last_change is not None and last_change > resolved_at


def review_overdue(next_review: date | None, today: date) -> bool:
    return next_review is not None and next_review < today


def capa_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    return status in OPEN_CAPA_STATUSES and due_at is not None and due_at < now


def incident_open_at(detected_at, closed_at, at) -> bool:
    """An incident was open at ``at``: detected by then and not closed before."""
    return detected_at <= at and (closed_at is None or closed_at >= at)


# --- who sees trails ----------------------------------------------------------------------------


def trail_systems_visible_to(user):
    """The systems whose trail ``user`` reads: all of them for the read-all roles, the systems
    they own for an engineer, none for anybody else (see ``permissions.can_read_trail``)."""
    if getattr(user, "is_authenticated", False) and (user.is_superuser or user.has_role(*READ_ALL)):
        return systems_visible_to(user)
    if getattr(user, "is_authenticated", False) and user.has_role(Role.ENGINEER):
        return systems_owned_by(user)
    return AISystem.objects.none()


def scope_for(user, systems=None, *, now=None) -> Scope:
    if systems is None:
        systems = trail_systems_visible_to(user).order_by("reference")
    return Scope(user=user, systems=list(systems), now=now or timezone.now())


def _system_url(system_id) -> str:
    return reverse("inventory:system-detail", args=[system_id])


def _ref(scope: Scope, system_id) -> str:
    system = scope.by_id.get(system_id)
    return system.reference if system else ""


# --- shared reads (one query each, for the whole scope) -----------------------------------------


def _versions(scope: Scope) -> list:
    return scope.memo(
        "versions",
        lambda: list(
            ModelVersion.objects.filter(system_id__in=scope.system_ids)
            .select_related("approved_by")
            .order_by("system_id", "created_at", "id")
        ),
    )


def _deployments(scope: Scope) -> list:
    return scope.memo(
        "deployments",
        lambda: list(
            Deployment.objects.filter(system_id__in=scope.system_ids)
            .select_related("model_version", "deployed_by")
            .order_by("system_id", "-deployed_at", "-id")
        ),
    )


def _rules(scope: Scope) -> list:
    return scope.memo(
        "rules",
        lambda: list(
            MonitoringRule.objects.filter(system_id__in=scope.system_ids).order_by(
                "system_id", "metric", "id"
            )
        ),
    )


def _affected(scope: Scope) -> list:
    """The visible incidents of the scope's systems, as their affected-system rows."""
    visible = incidents_visible_to(scope.user).values("pk")
    return scope.memo(
        "affected",
        lambda: list(
            AffectedSystem.objects.filter(system_id__in=scope.system_ids, incident__in=visible)
            .select_related("incident")
            .only(
                "id",
                "system_id",
                "incident__id",
                "incident__reference",
                "incident__title",
                "incident__status",
                "incident__detected_at",
                "incident__resolved_at",
                "incident__closed_at",
            )
            .order_by("system_id", "-incident__detected_at", "incident_id")
        ),
    )


def _capas(scope: Scope) -> list[tuple[int, CorrectiveAction]]:
    """(system id, CAPA) for the visible CAPAs answering the scope's visible incidents."""

    def compute():
        by_incident = defaultdict(set)
        for row in _affected(scope):
            by_incident[row.incident_id].add(row.system_id)
        links = (
            CapaIncidentLink.objects.filter(
                incident_id__in=list(by_incident),
                capa__in=capas_visible_to(scope.user).values("pk"),
            )
            .select_related("capa", "capa__owner")
            .order_by("capa__due_at", "capa_id")
        )
        seen, out = set(), []
        for link in links:
            for system_id in sorted(by_incident[link.incident_id]):
                if (system_id, link.capa_id) not in seen:
                    seen.add((system_id, link.capa_id))
                    out.append((system_id, link.capa))
        return out

    return scope.memo("capas", compute)


def _risks(scope: Scope) -> list[tuple[int, Risk]]:
    def compute():
        links = (
            RiskSystem.objects.filter(
                system_id__in=scope.system_ids,
                risk__in=risks_visible_to(scope.user).values("pk"),
            )
            .select_related("risk", "risk__owner")
            .order_by("risk__reference")
        )
        return [(link.system_id, link.risk) for link in links]

    return scope.memo("risks", compute)


def _by_system(pairs) -> dict[int, list]:
    out = defaultdict(list)
    for system_id, row in pairs:
        out[system_id].append(row)
    return out


# --- the steps ----------------------------------------------------------------------------------


def requirement_rows(scope: Scope):
    out = {}
    for system in scope.systems:
        rows = [TrailRow(label=_("Intended purpose"), detail=system.intended_purpose)]
        rows.append(
            TrailRow(label=_("Validation status"), detail=system.get_validation_status_display())
        )
        rows.append(
            TrailRow(
                label=_("Model card"),
                detail=system.model_card_url or _("no model card linked"),
                url=system.model_card_url,
            )
        )
        out[system.pk] = rows
    return out


def evaluation_rows(scope: Scope):
    return _by_system(
        (
            v.system_id,
            TrailRow(
                label=v.version_label,
                detail=v.evaluation_summary or _("no evaluation summary"),
                at=v.created_at,
            ),
        )
        for v in _versions(scope)
    )


def approval_rows(scope: Scope):
    return _by_system(
        (
            v.system_id,
            TrailRow(
                label=v.version_label,
                detail=(
                    _("approved by %(who)s") % {"who": v.approved_by}
                    if v.approved_at
                    else _("not approved")
                ),
                at=v.approved_at,
            ),
        )
        for v in _versions(scope)
    )


def deployment_rows(scope: Scope):
    return _by_system(
        (
            d.system_id,
            TrailRow(
                label=f"{d.get_change_type_display()} {d.model_version.version_label}",
                detail=f"{d.get_environment_display()} · {d.change_reference or _('no change reference')}",
                at=d.deployed_at,
            ),
        )
        for d in _deployments(scope)
    )


def monitoring_rows(scope: Scope):
    return _by_system(
        (
            r.system_id,
            TrailRow(
                label=f"{r.metric} {r.get_comparison_display()} {r.threshold}",
                detail=r.change_reason or r.channel,
                at=r.updated_at,
            ),
        )
        for r in _rules(scope)
    )


def incident_rows(scope: Scope):
    return _by_system(
        (
            a.system_id,
            TrailRow(
                label=f"{a.incident.reference} {a.incident.title}",
                detail=a.incident.get_status_display(),
                url=reverse("incidents:incident-detail", args=[a.incident_id]),
                at=a.incident.detected_at,
            ),
        )
        for a in _affected(scope)
    )


def capa_rows(scope: Scope):
    return _by_system(
        (
            system_id,
            TrailRow(
                label=f"{c.reference} {c.title}",
                detail=c.get_status_display(),
                url=c.get_absolute_url(),
                at=c.due_at,
            ),
        )
        for system_id, c in _capas(scope)
    )


def risk_rows(scope: Scope):
    return _by_system(
        (
            system_id,
            TrailRow(
                label=f"{r.reference} {r.title}",
                detail=r.get_status_display(),
                url=r.get_absolute_url(),
                at=r.next_review_date,
            ),
        )
        for system_id, r in _risks(scope)
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


def _assessments(scope: Scope) -> list:
    """Every impact assessment of the systems in scope (their versions), newest first."""
    from .models import ImpactAssessment

    return scope.memo(
        "assessments",
        lambda: list(
            ImpactAssessment.objects.filter(system_id__in=scope.system_ids)
            .only(
                "pk",
                "reference",
                "system_id",
                "version",
                "status",
                "result",
                "next_due_date",
                "approved_at",
            )
            .order_by("system_id", "-version")
        ),
    )


def impact_rows(scope: Scope):
    return _by_system(
        (
            a.system_id,
            TrailRow(
                label=f"{a.reference} v{a.version}",
                detail=" · ".join(
                    str(part) for part in (a.get_status_display(), a.get_result_display()) if part
                ),
                url=a.get_absolute_url(),
                at=a.next_due_date,
            ),
        )
        for a in _assessments(scope)
    )


def gaps_impact_assessment(scope: Scope) -> list[Gap]:
    """A system in production with no approved impact assessment, one past its due date, or
    one marked due for review by a retrain, a vendor update, a prompt change or a P0/P1
    incident (ISO/IEC 42001 clause 8.4, A.5.2)."""
    from .choices import ImpactStatus
    from .models import ImpactReviewFlag

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


register_trail_step(
    TrailStep(
        key="requirement", title=gettext_lazy("Requirement"), order=10, rows=requirement_rows
    ),
    TrailStep(key="evaluation", title=gettext_lazy("Evaluation"), order=20, rows=evaluation_rows),
    TrailStep(key="approval", title=gettext_lazy("Approval"), order=30, rows=approval_rows),
    TrailStep(key="deployment", title=gettext_lazy("Deployment"), order=40, rows=deployment_rows),
    TrailStep(
        key="monitoring", title=gettext_lazy("Monitoring rules"), order=50, rows=monitoring_rows
    ),
    TrailStep(key="incidents", title=gettext_lazy("Incidents"), order=60, rows=incident_rows),
    TrailStep(key="capas", title=gettext_lazy("CAPAs"), order=70, rows=capa_rows),
    TrailStep(key="risks", title=gettext_lazy("Risks"), order=80, rows=risk_rows),
    TrailStep(key="impact", title=gettext_lazy("Impact assessments"), order=90, rows=impact_rows),
)
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


# --- the selectors the pages, the API, the command and the PDF read -----------------------------


def find_gaps(scope: Scope, *, codes: Iterable[str] | None = None) -> list[Gap]:
    wanted = set(codes) if codes else None
    gaps = []
    for check in gap_checks():
        if wanted is None or check.code in wanted:
            gaps.extend(check.find(scope))
    return sorted(gaps, key=lambda g: (g.system_reference, _order_of(g.code), g.subject))


def _order_of(code: str) -> int:
    check = _CHECKS.get(code)
    return check.order if check else 0


def consistency_check(user, *, codes=None, system_id=None, now=None) -> dict:
    """Every gap of the systems ``user`` may see (optionally of one kind or one system), with
    the count per kind (the filters do not change which kinds are listed)."""
    systems = trail_systems_visible_to(user).order_by("reference")
    if system_id:
        systems = systems.filter(pk=system_id)
    scope = scope_for(user, systems, now=now)
    gaps = find_gaps(scope, codes=codes)
    counts = {code: 0 for code, _label in gap_kinds()}
    for gap in gaps:
        counts[gap.code] = counts.get(gap.code, 0) + 1
    return {"gaps": gaps, "counts": counts, "systems": len(scope.systems)}


@dataclass(kw_only=True)
class TrailStepView:
    key: str
    title: str
    rows: list
    gaps: list


def system_trail(user, system, *, now=None) -> dict:
    """The trail of one system: each step with its records and the gaps flagged on it."""
    scope = scope_for(user, [system], now=now)
    gaps = find_gaps(scope)
    step_of = {c.code: c.step for c in gap_checks()}
    steps = []
    for step in trail_steps():
        steps.append(
            TrailStepView(
                key=step.key,
                title=str(step.title),
                rows=step.rows(scope).get(system.pk, []),
                gaps=[g for g in gaps if step_of.get(g.code) == step.key],
            )
        )
    return {"system": system, "steps": steps, "gaps": gaps, "generated_at": scope.now}


def trail_system_readable(user, system) -> bool:
    """Without a query: the read-all roles read every trail, an engineer those of their systems."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_role(*READ_ALL):
        return True
    return user.has_role(Role.ENGINEER) and system.is_owned_by(user)


def trail_system(user, pk):
    """The system, when ``user`` may read its trail; None otherwise."""
    return trail_systems_visible_to(user).filter(pk=pk).first()


__all__ = [
    "Gap",
    "GapCheck",
    "Scope",
    "TrailRow",
    "TrailStep",
    "consistency_check",
    "find_gaps",
    "gap_kinds",
    "register_gap_check",
    "register_trail_step",
    "system_trail",
]
