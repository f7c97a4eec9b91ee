"""Writing impact assessments: draft, edit, submit, approve (the AI risk officer who is not the
author; the approved version supersedes the previous one and its due clock), mark a system's
assessment due for review (a retrain, vendor update or prompt change deployed, a P0/P1 incident),
and record the risk-register review of an incident before it closes.
"""

from datetime import UTC, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.clocks.services import record_clocks
from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, PermissionRefused, ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, history_reason, model_save

from .. import permissions
from ..choices import ImpactClockKind, ImpactStatus, ImpactTrigger, RiskReviewOutcome
from ..models import (
    Control,
    EvidenceLink,
    ImpactAssessment,
    ImpactReviewFlag,
    IncidentRiskReview,
    RiskIncidentLink,
)
from ..workflow import IMPACT_LIFECYCLE

DUE_HOUR = time(9, 0)
CONTENT_FIELDS = (
    "intended_use",
    "foreseeable_misuse",
    "affected_groups",
    "societal_impact",
    "jurisdictions",
    "result",
    "conditions",
    "next_due_date",
)
EDITABLE_FIELDS = (*CONTENT_FIELDS, "trigger", "deployment", "incident")
# Changes in the model change log that make the system's assessment due for review.
REVIEW_CHANGE_TYPES = ("retrain", "vendor_update", "prompt_change")
REVIEW_SEVERITIES = (0, 1)  # P0 and P1
# The Annex A controls an approved assessment is evidence for (A.5 Assessing impacts).
EVIDENCE_CONTROLS = ("A.5.2", "A.5.3", "A.5.4", "A.5.5")


def _owner_of(system):
    return system.technical_owner or system.business_owner


def _check_links(assessment) -> None:
    if assessment.deployment_id and assessment.deployment.system_id != assessment.system_id:
        raise ValidationFailed(
            _("The triggering deployment is not one of this system's."),
            fields={"deployment": [_("another system's deployment")]},
        )
    if assessment.trigger == ImpactTrigger.CHANGE and assessment.incident_id:
        raise ValidationFailed(
            _("A significant change is triggered by a deployment, not an incident."),
            fields={"incident": [_("not for this trigger")]},
        )
    if assessment.trigger == ImpactTrigger.INCIDENT and assessment.deployment_id:
        raise ValidationFailed(
            _("An incident-triggered assessment names the incident, not a deployment."),
            fields={"deployment": [_("not for this trigger")]},
        )
    jurisdictions = [j.strip().upper() for j in assessment.jurisdictions or [] if j.strip()]
    assessment.jurisdictions = list(dict.fromkeys(jurisdictions))


def _apply(assessment, data: dict) -> set[str]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s.") % ", ".join(sorted(unknown)))
    changed = set()
    for name, value in data.items():
        if value is None and name not in ("deployment", "incident", "next_due_date"):
            value = [] if name == "jurisdictions" else ""
        if getattr(assessment, name) != value:
            setattr(assessment, name, value)
            changed.add(name)
    return changed


@audited_write
def impact_create(*, actor, system, data: dict) -> ImpactAssessment:
    """A new draft assessment of ``system``: the next version; content may be filled in later."""
    require(permissions.can_edit_impact(actor))
    data = dict(data)
    trigger = data.pop("trigger", None) or ImpactTrigger.PLANNED
    assessment = ImpactAssessment(system=system, author=actor, trigger=trigger)
    _apply(assessment, data)
    _check_links(assessment)
    last = ImpactAssessment.objects.filter(system=system).aggregate(last=Max("version")).get("last")
    if last is None and trigger == ImpactTrigger.PLANNED:
        assessment.trigger = ImpactTrigger.INITIAL
    assessment.version = (last or 0) + 1
    assessment.reference = allocate_reference("AIA")
    return model_save(assessment, actor=actor, lookups=False)


def _for_update(assessment) -> ImpactAssessment:
    return (
        ImpactAssessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("system", "deployment", "author")
        .get(pk=assessment.pk)
    )


@audited_write
def impact_update(*, actor, assessment, data: dict, expected_version=None) -> ImpactAssessment:
    """Change a draft (a submitted one is returned to its author first; an approved one is
    changed by a new version)."""
    require(permissions.can_edit_impact(actor, assessment))
    assessment = _for_update(assessment)
    check_version(assessment, expected_version)
    if assessment.status != ImpactStatus.DRAFT:
        raise Conflict(
            _("%(ref)s is %(status)s; only a draft is changed (start a new version instead).")
            % {"ref": assessment.reference, "status": assessment.get_status_display()}
        )
    if not _apply(assessment, data):
        return assessment
    _check_links(assessment)
    return model_save(assessment, actor=actor, lookups=False)


def _due_at(day) -> datetime:
    return datetime.combine(day, DUE_HOUR, tzinfo=UTC)


@audited_write
def impact_transition(*, actor, assessment, to: str, reason: str = "") -> ImpactAssessment:
    """Submit, approve (with the approval comment) or return an assessment to its author."""
    assessment = _for_update(assessment)
    IMPACT_LIFECYCLE.check(assessment, to=to, actor=actor, reason=reason)
    now = timezone.now()
    reason = (reason or "").strip()
    if to == ImpactStatus.APPROVED:
        if assessment.author_id == getattr(actor, "pk", None):
            raise PermissionRefused(
                _(
                    "The author of an impact assessment does not approve it; another AI risk "
                    "officer does."
                )
            )
        return _approve(assessment, actor, now, reason)
    assessment.status = to
    if to == ImpactStatus.SUBMITTED:
        assessment.submitted_at = now
    else:  # returned to its author
        assessment.submitted_at = None
        assessment._change_reason = history_reason(f"Returned: {reason}")
    return model_save(assessment, actor=actor, lookups=False)


def _approve(assessment, actor, now, comment) -> ImpactAssessment:
    previous = (
        ImpactAssessment.objects.select_for_update(no_key=True)
        .filter(system_id=assessment.system_id, status=ImpactStatus.APPROVED)
        .first()
    )
    if previous is not None:
        previous.status = ImpactStatus.SUPERSEDED
        previous._change_reason = history_reason(f"Superseded by {assessment.reference}")
        model_save(previous, actor=actor, lookups=False)
        record_clocks(previous).cancel(
            kind=ImpactClockKind.DUE,
            reason=f"superseded by {assessment.reference}",
            actor=actor,
        )
        assessment.supersedes = previous
    assessment.status = ImpactStatus.APPROVED
    assessment.approved_by = actor
    assessment.approved_at = now
    assessment.approval_comment = comment
    model_save(assessment, actor=actor, lookups=False)
    record_clocks(assessment, known_empty=True).start(
        kind=ImpactClockKind.DUE,
        label=str(_("Impact assessment %(ref)s of %(system)s due"))
        % {"ref": assessment.reference, "system": assessment.system.reference},
        started_at=min(now, _due_at(assessment.next_due_date)),
        due_at=_due_at(assessment.next_due_date),
        owner=_owner_of(assessment.system),
        actor=actor,
    )
    _link_evidence(assessment, actor)
    flag = open_flag_of(assessment.system_id, lock=True)
    if flag is not None:
        flag.cleared_at = now
        flag.cleared_by = assessment
        model_save(flag, actor=actor, lookups=False)
        record_clocks(flag).meet(kind=ImpactClockKind.REVIEW, at=now, actor=actor)
    return assessment


def _link_evidence(assessment, actor) -> None:
    """An approved assessment backs Annex A.5.2-A.5.5 on the evidence map."""
    target_type = ContentType.objects.get_for_model(ImpactAssessment)
    for control in Control.objects.filter(code__in=EVIDENCE_CONTROLS).order_by("code"):
        model_save(
            EvidenceLink(
                control=control,
                target_type=target_type,
                target_id=assessment.pk,
                target_label=f"{assessment.reference} {assessment.system.reference} "
                f"v{assessment.version} ({assessment.get_result_display()})"[:300],
                record_date=timezone.localdate(assessment.approved_at),
                note=str(_("Approved impact assessment")),
                linked_by=actor,
            ),
            actor=actor,
            lookups=False,
        )


def open_flag_of(system_id, *, lock=False) -> ImpactReviewFlag | None:
    rows = ImpactReviewFlag.objects.filter(system_id=system_id, cleared_at__isnull=True)
    if lock:
        rows = rows.select_for_update(no_key=True)
    return rows.first()


def impact_mark_due(*, system, reason: str, actor=None, deployment=None, incident=None):
    """Mark the system's impact assessment due for review (inside the triggering service's
    transaction). A system already flagged keeps its first reason; returns the open flag."""
    flag = open_flag_of(system.pk, lock=True)
    if flag is not None:
        return flag
    now = timezone.now()
    flag = model_save(
        ImpactReviewFlag(
            system=system,
            reason=reason,
            deployment=deployment,
            incident=incident,
            raised_at=now,
        ),
        actor=actor,
        lookups=False,
    )
    record_clocks(flag, known_empty=True).start(
        kind=ImpactClockKind.REVIEW,
        label=(
            str(_("Impact assessment review due — %(system)s: %(reason)s"))
            % {"system": system.reference, "reason": reason}
        )[:200],
        started_at=now,
        owner=_owner_of(system),
        actor=actor,
    )
    return flag


# --- listeners on the inventory and the incidents ---------------------------------------------


def on_deployment_recorded(*, deployment, actor) -> None:
    """A retrain, vendor update or prompt change makes the system's assessment due."""
    if deployment.change_type not in REVIEW_CHANGE_TYPES:
        return
    label = deployment.get_change_type_display()
    where = f" ({deployment.change_reference})" if deployment.change_reference else ""
    impact_mark_due(
        system=deployment.system,
        reason=f"{label} deployed {deployment.deployed_at:%Y-%m-%d}{where}",
        deployment=deployment,
        actor=actor,
    )


def _incident_marks_due(incident, actor) -> None:
    """A real P0/P1 incident on a system calls its impact assessment into question; an
    exercise does not (it is readiness evidence, not a finding about the system)."""
    from incidents.choices import Kind

    if incident.kind == Kind.EXERCISE:
        return
    if incident.severity is None or int(incident.severity) not in REVIEW_SEVERITIES:
        return
    for affected in incident.affected_systems.select_related(
        "system__business_owner", "system__technical_owner"
    ):
        impact_mark_due(
            system=affected.system,
            # The system page shows the reason to everyone who sees the system: a restricted
            # incident is not named there (its participants find it through the flag's link).
            reason=(
                f"P{int(incident.severity)} incident (restricted)"
                if incident.restricted
                else f"P{int(incident.severity)} incident {incident.reference}"
            ),
            incident=incident,
            actor=actor,
        )


def on_incident_created(*, incident, actor) -> None:
    _incident_marks_due(incident, actor)


def on_incident_facts_changed(*, incident, actor, fields) -> None:
    if {"severity", "affected_systems"} & set(fields):
        _incident_marks_due(incident, actor)


# --- the risk register reviewed at an incident's closure --------------------------------------


@audited_write
def incident_risk_review_record(*, actor, incident, outcome: str, reason: str = ""):
    """Record that the register was reviewed for the incident: risks changed (at least one risk
    linked to it) or no change, with the reason. Once per incident."""
    from incidents.models import Incident

    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    require(permissions.can_review_incident_risks(actor, incident))
    reason = (reason or "").strip()
    if outcome not in RiskReviewOutcome.values:
        raise ValidationFailed(
            _("The outcome is changed or no_change."), fields={"outcome": [_("invalid")]}
        )
    if outcome == RiskReviewOutcome.NO_CHANGE and not reason:
        raise ValidationFailed(
            _("Say why the register needs no change (e.g. 'covered by RISK-0004 as rated')."),
            fields={"reason": [_("required")]},
        )
    if (
        outcome == RiskReviewOutcome.CHANGED
        and not RiskIncidentLink.objects.filter(incident=incident).exists()
    ):
        raise ValidationFailed(
            _(
                "No risk is linked to this incident yet: mark one as materialised, re-rate one "
                "or raise one first, or record 'no change' with the reason."
            ),
            fields={"outcome": [_("no linked risk")]},
        )
    if IncidentRiskReview.objects.filter(incident=incident).exists():
        raise Conflict(_("The review of the risk register for this incident is already recorded."))
    review = model_save(
        IncidentRiskReview(
            incident=incident,
            outcome=outcome,
            reason=reason,
            decided_by=actor,
            decided_at=timezone.now(),
        ),
        actor=actor,
        lookups=False,
    )
    _review_event(review, actor)
    return review


def _review_event(review, actor):
    from incidents.choices import TimelineKind
    from incidents.events import module_event

    summary = f"Risk register reviewed: {review.get_outcome_display()}"
    if review.reason:
        summary += f" — {review.reason}"
    return module_event(
        incident=review.incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=summary,
        data={"module": "risk", "risk_review": review.outcome},
    )
