"""Writes of the learning loop, one function per business action, each in one transaction.

Root cause: candidates are proposed (``root_cause_propose``), analysed (whys, diagnostics,
evidence links), then confirmed — stamping the incident's "root cause confirmed" milestone
through ``incidents.services`` and linking recurrences — or ruled out with a reason. Scope:
recorded as a best estimate or confirmed (``scope_record``); the confirmed count goes to the
incident's record, which the disclosure rules and the register read. Remediation: plan items in
the three horizons, the re-processing counts, the verification of the fix, and the "normal
operation restored" decision that needs it.
"""

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, GuardFailed, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, history_reason, model_save
from incidents import services as incident_services

from .. import events, permissions, selectors
from ..choices import ActionStatus, DiagnosticOutcome, RootCauseStatus, ScopeStatus
from ..models import (
    CorrectiveAction,
    Diagnostic,
    Recurrence,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)

ROOT_CAUSE_FIELDS = frozenset({"category", "statement", "contributing_factors"})
SCOPE_FIELDS = (
    "period_start",
    "period_end",
    "population",
    "classification_rule",
    "sample_size",
    "sample_failures",
    "confirmed_count",
    "lower_bound",
    "upper_bound",
    "uncertainty_note",
)
REPROCESSING_FIELDS = ("affected_cases", "reprocessed_cases", "outcome_changed_cases")


def _text(value, field, message) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, fields={field: [message]})
    return value


def _lock_root_cause(root_cause: RootCause) -> RootCause:
    return (
        RootCause.objects.select_for_update(no_key=True)
        .select_related("incident")
        .get(pk=root_cause.pk)
    )


def _still_open(root_cause: RootCause) -> None:
    if root_cause.status != RootCauseStatus.CONSIDERED:
        raise Conflict(
            _("This root cause was %(status)s already: propose a new candidate instead.")
            % {"status": root_cause.get_status_display().lower()}
        )


# --- root cause ------------------------------------------------------------------------------


@audited_write
def root_cause_propose(
    *, actor, incident, category, statement, contributing_factors: str = ""
) -> RootCause:
    require(permissions.can_analyse(actor, incident))
    root_cause = RootCause(
        incident=incident,
        category=category,
        statement=_text(statement, "statement", _("Say what the cause is, in one statement.")),
        contributing_factors=(contributing_factors or "").strip(),
        proposed_by=actor,
    )
    model_save(root_cause, actor=actor, lookups=False)
    events.root_cause_proposed_event(incident=incident, actor=actor, root_cause=root_cause)
    return root_cause


@audited_write
def root_cause_update(
    *, actor, root_cause: RootCause, data: dict, expected_version: str | None = None
) -> RootCause:
    """Edit a candidate's category, statement or contributing factors while it is considered."""
    root_cause = _lock_root_cause(root_cause)
    require(permissions.can_analyse(actor, root_cause.incident))
    check_version(root_cause, expected_version)
    unknown = set(data) - ROOT_CAUSE_FIELDS
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown))
        )
    _still_open(root_cause)
    changed = [name for name, value in data.items() if getattr(root_cause, name) != value]
    for name in changed:
        setattr(root_cause, name, data[name])
    if changed:
        model_save(root_cause, actor=actor, lookups=False)
    return root_cause


@audited_write
def why_add(*, actor, root_cause: RootCause, question: str, answer: str) -> Why:
    """Append the next step of the five-whys chain (positions are gap-free: 1, 2, 3 …)."""
    root_cause = _lock_root_cause(root_cause)
    require(permissions.can_analyse(actor, root_cause.incident))
    _still_open(root_cause)
    last = root_cause.whys.order_by("-position").values_list("position", flat=True).first()
    why = Why(
        root_cause=root_cause,
        position=(last or 0) + 1,
        question=_text(question, "question", _("Ask the question: why did it happen?")),
        answer=_text(answer, "answer", _("Give the answer to the question.")),
        recorded_by=actor,
    )
    model_save(why, actor=actor, lookups=False)
    events.why_added_event(incident=root_cause.incident, actor=actor, why=why)
    return why


@audited_write
def diagnostic_add(
    *,
    actor,
    root_cause: RootCause,
    method,
    description: str,
    result: str,
    outcome,
    performed_at=None,
) -> Diagnostic:
    root_cause = _lock_root_cause(root_cause)
    require(permissions.can_add_diagnostic(actor, root_cause.incident))
    _still_open(root_cause)
    now = timezone.now()
    if performed_at is not None and performed_at > now:
        raise ValidationFailed(
            _("A diagnostic cannot be performed in the future."),
            fields={"performed_at": ["in the future"]},
        )
    diagnostic = Diagnostic(
        root_cause=root_cause,
        method=method,
        description=_text(description, "description", _("Say what was done.")),
        result=_text(result, "result", _("Say what the diagnostic showed.")),
        outcome=outcome,
        performed_by=actor,
        performed_at=performed_at or now,
    )
    model_save(diagnostic, actor=actor, lookups=False)
    events.diagnostic_added_event(incident=root_cause.incident, actor=actor, diagnostic=diagnostic)
    return diagnostic


@audited_write
def evidence_link(*, actor, root_cause: RootCause, evidence, note: str = "") -> RootCauseEvidence:
    """Link one of the incident's own evidence items (never another incident's)."""
    root_cause = _lock_root_cause(root_cause)
    require(permissions.can_add_diagnostic(actor, root_cause.incident))
    _still_open(root_cause)
    if evidence.incident_id != root_cause.incident_id:
        raise ValidationFailed(
            _("Link evidence preserved for this incident; that item belongs to another one."),
            fields={"evidence": ["not this incident's"]},
        )
    if root_cause.evidence_links.filter(evidence=evidence).exists():
        raise ValidationFailed(
            _("That evidence item is linked to this root cause already."),
            fields={"evidence": ["already linked"]},
        )
    link = RootCauseEvidence(
        root_cause=root_cause, evidence=evidence, note=(note or "").strip(), linked_by=actor
    )
    model_save(link, actor=actor, lookups=False)
    events.evidence_linked_event(incident=root_cause.incident, actor=actor, link=link)
    return link


def _confirmation_missing(root_cause: RootCause) -> list[str]:
    missing = []
    if not root_cause.whys.exists():
        missing.append(_("the five-whys chain (at least one why and its answer)"))
    if not root_cause.diagnostics.filter(outcome=DiagnosticOutcome.SUPPORTS).exists():
        missing.append(_("a diagnostic whose result supports this cause"))
    if not root_cause.evidence_links.exists():
        missing.append(_("confirming evidence (a link to one of the incident's evidence items)"))
    return missing


@audited_write
def root_cause_confirm(
    *, actor, root_cause: RootCause, expected_version: str | None = None
) -> RootCause:
    """Confirm the cause: needs its whys, a supporting diagnostic and confirming evidence;
    stamps the incident's milestone, and links recurrences on the same system."""
    root_cause = _lock_root_cause(root_cause)
    incident = root_cause.incident
    require(permissions.can_confirm_root_cause(actor, incident))
    check_version(root_cause, expected_version)
    _still_open(root_cause)
    if selectors.confirmed_root_cause(incident) is not None:
        raise Conflict(
            _(
                "This incident already has a confirmed root cause; rule this candidate out, "
                "or record what else contributed in the confirmed one's contributing factors."
            )
        )
    if missing := _confirmation_missing(root_cause):
        raise GuardFailed(_("Confirming needs %s.") % ", ".join(missing))
    now = timezone.now()
    root_cause.status = RootCauseStatus.CONFIRMED
    root_cause.confirmed_by = actor
    root_cause.confirmed_at = now
    try:
        model_save(root_cause, actor=actor, lookups=False)
    except IntegrityError as exc:  # pragma: no cover - the chain lock orders writers
        raise Conflict(_("This incident already has a confirmed root cause.")) from exc
    events.root_cause_confirmed_event(incident=incident, actor=actor, root_cause=root_cause)
    incident_services.incident_milestone_stamp(
        actor=actor, incident=incident, milestone="root_cause_confirmed_at", at=now
    )
    _link_recurrences(root_cause, actor)
    return root_cause


def _link_recurrences(root_cause: RootCause, actor) -> list[Recurrence]:
    window = selectors.recurrence_window_days()
    incident = root_cause.incident
    links = []
    for other in selectors.recurrence_candidates(root_cause, window_days=window):
        other_incident = other.incident
        if other_incident.detected_at <= incident.detected_at:
            earlier, later, earlier_cause, later_cause = (
                other_incident,
                incident,
                other,
                root_cause,
            )
        else:
            earlier, later, earlier_cause, later_cause = (
                incident,
                other_incident,
                root_cause,
                other,
            )
        if Recurrence.objects.filter(earlier_incident=earlier, later_incident=later).exists():
            continue
        recurrence = Recurrence(
            earlier_incident=earlier,
            later_incident=later,
            system=selectors.shared_system(earlier, later),
            category=root_cause.category,
            earlier_root_cause=earlier_cause,
            later_root_cause=later_cause,
            days_apart=abs((later.detected_at - earlier.detected_at).days),
            window_days=window,
        )
        model_save(recurrence, actor=actor, lookups=False)
        events.recurrence_event(
            incident=incident, actor=actor, recurrence=recurrence, other=other_incident
        )
        events.recurrence_event(
            incident=other_incident, actor=actor, recurrence=recurrence, other=incident
        )
        doubted = list(
            CorrectiveAction.objects.filter(links__incident=earlier)
            .exclude(status=ActionStatus.CANCELLED)
            .order_by("id")
            .values_list("reference", flat=True)
        )
        if doubted:
            events.capas_in_doubt_event(
                incident=earlier, actor=actor, recurrence=recurrence, references=doubted
            )
        links.append(recurrence)
    return links


@audited_write
def root_cause_rule_out(*, actor, root_cause: RootCause, reason: str) -> RootCause:
    root_cause = _lock_root_cause(root_cause)
    require(permissions.can_confirm_root_cause(actor, root_cause.incident))
    _still_open(root_cause)
    root_cause.ruled_out_reason = _text(
        reason, "reason", _("Say why this cause was ruled out (what the diagnostic showed).")
    )
    root_cause.status = RootCauseStatus.RULED_OUT
    root_cause.ruled_out_by = actor
    root_cause.ruled_out_at = timezone.now()
    root_cause._change_reason = history_reason(root_cause.ruled_out_reason)
    model_save(root_cause, actor=actor, lookups=False)
    events.root_cause_ruled_out_event(
        incident=root_cause.incident, actor=actor, root_cause=root_cause
    )
    return root_cause


# --- scope -----------------------------------------------------------------------------------


@audited_write
def scope_record(
    *, actor, incident, data: dict, confirm: bool, expected_version: str | None = None
) -> ScopeConfirmation:
    """Record the scope: ``confirm=False`` a best estimate (its uncertainty said), ``True`` the
    confirmed count. A confirmed scope may be corrected (history keeps every version), never
    turned back into an estimate. The count and bounds go to the incident's record."""
    require(permissions.can_record_scope(actor, incident))
    scope = ScopeConfirmation.objects.select_for_update().filter(incident=incident).first()
    if scope is not None:
        check_version(scope, expected_version)
        if scope.is_confirmed and not confirm:
            raise Conflict(
                _("The scope is confirmed already; record a corrected confirmation instead.")
            )
    else:
        scope = ScopeConfirmation(incident=incident, recorded_by=actor)
    unknown = set(data) - set(SCOPE_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown))
        )
    missing = [
        name for name in SCOPE_FIELDS if name != "uncertainty_note" and data.get(name) is None
    ]
    if missing:
        raise ValidationFailed(
            _("The scope needs: %s.") % ", ".join(missing),
            fields={name: [_("required")] for name in missing},
        )
    for name in SCOPE_FIELDS:
        value = data.get(name, "" if name == "uncertainty_note" else None)
        setattr(scope, name, value.strip() if isinstance(value, str) else value)
    scope.recorded_by = actor
    scope.status = ScopeStatus.CONFIRMED if confirm else ScopeStatus.ESTIMATE
    if confirm:
        scope.confirmed_by = actor
        scope.confirmed_at = timezone.now()
    model_save(scope, actor=actor, lookups=False)
    events.scope_recorded_event(incident=incident, actor=actor, scope=scope)
    figures = (
        {
            "individuals_affected_lower": scope.lower_bound,
            "individuals_affected_upper": scope.upper_bound,
            "individuals_affected_confirmed": scope.confirmed_count,
            "decisions_affected_pct": scope.percentage,
        }
        if confirm
        else {"individuals_affected_estimate": scope.confirmed_count}
    )
    incident_services.incident_update(actor=actor, incident=incident, data=figures)
    return scope


# --- remediation -----------------------------------------------------------------------------


def _plan_for(incident, actor) -> RemediationPlan:
    """The incident's plan, locked; made on its first item, count or decision."""
    plan = RemediationPlan.objects.select_for_update().filter(incident=incident).first()
    if plan is None:
        plan = RemediationPlan(incident=incident)
        model_save(plan, actor=actor, lookups=False)
    plan.incident = incident
    return plan


@audited_write
def remediation_item_add(
    *, actor, incident, horizon, kind, description: str, owner, due_on
) -> RemediationItem:
    require(permissions.can_plan_remediation(actor, incident))
    plan = _plan_for(incident, actor)
    if due_on is None:
        raise ValidationFailed(_("Give the item a due date."), fields={"due_on": ["required"]})
    item = RemediationItem(
        plan=plan,
        horizon=horizon,
        kind=kind,
        description=_text(description, "description", _("Say what is to be done.")),
        owner=owner,
        due_on=due_on,
    )
    model_save(item, actor=actor, lookups=False)
    events.remediation_item_added_event(incident=incident, actor=actor, item=item)
    return item


@audited_write
def remediation_item_done(*, actor, item: RemediationItem, note: str = "") -> RemediationItem:
    item = (
        RemediationItem.objects.select_for_update(no_key=True)
        .select_related("plan__incident", "owner")
        .get(pk=item.pk)
    )
    require(permissions.can_complete_item(actor, item))
    if item.done_at is not None:
        raise Conflict(_("This item is done already."))
    item.done_at = timezone.now()
    item.done_by = actor
    item.done_note = (note or "").strip()
    model_save(item, actor=actor, lookups=False)
    events.remediation_item_done_event(incident=item.plan.incident, actor=actor, item=item)
    return item


@audited_write
def reprocessing_update(
    *,
    actor,
    incident,
    affected_cases: int,
    reprocessed_cases: int,
    outcome_changed_cases: int,
    remaining_cases: int | None = None,
    expected_version: str | None = None,
) -> RemediationPlan:
    """The re-processing counts. ``remaining_cases``, when given, must be what is left:
    affected − re-processed (a count that does not add up is refused, not stored)."""
    require(permissions.can_plan_remediation(actor, incident))
    plan = _plan_for(incident, actor)
    check_version(plan, expected_version)
    plan.affected_cases = affected_cases
    plan.reprocessed_cases = reprocessed_cases
    plan.outcome_changed_cases = outcome_changed_cases
    if remaining_cases is not None and remaining_cases != affected_cases - reprocessed_cases:
        message = _(
            "The counts do not add up: %(affected)s affected − %(done)s re-processed leaves "
            "%(left)s remaining, not %(given)s."
        ) % {
            "affected": affected_cases,
            "done": reprocessed_cases,
            "left": affected_cases - reprocessed_cases,
            "given": remaining_cases,
        }
        raise ValidationFailed(message, fields={"remaining_cases": [message]})
    model_save(plan, actor=actor, lookups=False)
    events.reprocessing_event(incident=incident, actor=actor, plan=plan)
    return plan


@audited_write
def fix_verify(*, actor, incident, verification: str) -> RemediationPlan:
    """Record how the fix (rollback, suspension, patch) was verified on the failing inputs."""
    require(permissions.can_plan_remediation(actor, incident))
    plan = _plan_for(incident, actor)
    plan.fix_verification = _text(
        verification,
        "verification",
        _("Say how the fix was tested on the failing input types, and what it showed."),
    )
    plan.fix_verified_by = actor
    plan.fix_verified_at = timezone.now()
    model_save(plan, actor=actor, lookups=False)
    events.fix_verified_event(incident=incident, actor=actor, plan=plan)
    return plan


@audited_write
def normal_operation_restore(*, actor, incident, note: str) -> RemediationPlan:
    """The decision that the system is back in normal operation: only after the fix was
    verified on the failing input types."""
    require(permissions.can_plan_remediation(actor, incident))
    plan = _plan_for(incident, actor)
    if plan.fix_verified_at is None:
        raise GuardFailed(
            _(
                "Normal operation can be restored only after the fix was verified on the "
                "failing input types: record that verification first."
            )
        )
    if plan.restored_at is not None:
        raise Conflict(_("Normal operation was restored already."))
    plan.restored_note = _text(
        note, "note", _("Say what was decided: which traffic or use returns, from when.")
    )
    plan.restored_by = actor
    plan.restored_at = timezone.now()
    model_save(plan, actor=actor, lookups=False)
    events.normal_operation_restored_event(incident=incident, actor=actor, plan=plan)
    return plan
