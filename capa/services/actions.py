"""Every write of the CAPA records and audit findings, one function per business action.

Each runs in one transaction that takes the audit-chain lock first (``audited_write``), locks
its record, checks the permission first, validates, saves through ``model_save`` (history),
writes the linked incidents' timeline entries and keeps the clocks in line.
"""

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import GuardFailed, ValidationFailed
from aims.core.files import EvidenceIntegrityFailed, file_intact, read_upload, store_file
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, history_reason, model_save
from incidents.models import Incident

from .. import clocks, events, permissions, rules, workflow
from ..choices import (
    ActionSource,
    ActionStatus,
    CheckResult,
    FindingStatus,
    Horizon,
    RootCauseStatus,
)
from ..models import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    EffectivenessCheck,
    Finding,
    NoCapaDecision,
    RootCause,
)

CAPA_FIELDS = frozenset(
    {
        "action_type",
        "source",
        "source_detail",
        "root_cause_category",
        "title",
        "description",
        "owner",
        "implementer",
        "horizon",
        "due_at",
        "implementation_note",
    }
)
CAPA_CREATE_FIELDS = CAPA_FIELDS | {"finding", "follows", "root_cause"}
FINDING_FIELDS = frozenset(
    {
        "audit_kind",
        "audit_reference",
        "classification",
        "clause",
        "title",
        "description",
        "objective_evidence",
        "auditee_response",
        "correction_deadline",
    }
)


def _apply(record, data: dict, allowed: frozenset) -> set[str]:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown)),
            fields={name: [_("not editable")] for name in sorted(unknown)},
        )
    changed = set()
    for name, value in data.items():
        if isinstance(value, str) and name not in ("owner", "implementer"):
            value = value.strip()
        try:
            current = getattr(record, name)
        except ObjectDoesNotExist:  # a required relation not set yet
            current = None
        if current != value:
            setattr(record, name, value)
            changed.add(name)
    return changed


def _check_people(capa) -> None:
    if capa.owner_id is None:
        raise ValidationFailed(
            _("A CAPA needs an owner: the person accountable for it."),
            fields={"owner": [_("required")]},
        )
    for field in ("owner", "implementer"):
        person = getattr(capa, field)
        if person is not None and (not person.is_active or not person.role_names):
            raise ValidationFailed(
                _("%(user)s has no active role and cannot be the CAPA's %(field)s.")
                % {"user": person, "field": field},
                fields={field: [_("not eligible")]},
            )


def _lock_capa(capa) -> CorrectiveAction:
    return (
        CorrectiveAction.objects.select_for_update(of=("self",), no_key=True)
        .select_related("owner", "implementer")
        .get(pk=capa.pk)
    )


def _incidents_of(capa) -> list[Incident]:
    return list(Incident.objects.filter(capa_links__capa=capa).order_by("id"))


# --- CAPA records -------------------------------------------------------------------------------


@audited_write
def capa_create(*, actor, data: dict, incidents=(), suggestion: str = "") -> CorrectiveAction:
    """Raise a CAPA. The due date defaults to the horizon's policy (immediate 2 days, short-term
    30, long-term 90); a playbook ``suggestion`` of the root-cause category fills the title,
    description, type and horizon that the caller left empty.

    A CAPA answers a confirmed root cause of one of its incidents: the one given in
    ``data["root_cause"]``, else the first incident's confirmed one. The category then follows
    the root cause, so the suggestions offered are those of the cause actually confirmed."""
    require(permissions.can_create_capa(actor))
    data = dict(data)
    incidents = list(incidents)
    root_cause = _answered_root_cause(data.get("root_cause"), incidents)
    data["root_cause"] = root_cause
    if root_cause is not None:
        given = data.get("root_cause_category") or ""
        if given and given != root_cause.category:
            raise ValidationFailed(
                _(
                    "The root-cause category follows the confirmed root cause (%(category)s); "
                    "leave it empty or give that category."
                )
                % {"category": root_cause.get_category_display()},
                fields={"root_cause_category": [_("contradicts the root cause")]},
            )
        data["root_cause_category"] = root_cause.category
    category = data.get("root_cause_category") or ""
    if suggestion:
        chosen = rules.suggestion(category, suggestion)
        if chosen is None:
            keys = ", ".join(s.key for s in rules.suggestions_for(category)) or _("none")
            raise ValidationFailed(
                _("No playbook suggestion %(key)s for this root-cause category; offered: %(keys)s.")
                % {"key": suggestion, "keys": keys},
                fields={"suggestion": [_("unknown")]},
            )
        data.setdefault("title", str(chosen.title))
        data.setdefault("description", str(chosen.description))
        data.setdefault("action_type", chosen.action_type)
        data.setdefault("horizon", chosen.horizon)
    if incidents and not data.get("source"):
        data["source"] = ActionSource.INCIDENT
    now = timezone.now()
    capa = CorrectiveAction(created_by=actor)
    _apply(capa, {k: v for k, v in data.items() if k != "due_at"}, CAPA_CREATE_FIELDS)
    if capa.horizon not in Horizon.values:
        raise ValidationFailed(
            _("Choose a horizon: %s.") % ", ".join(Horizon.values), fields={"horizon": ["required"]}
        )
    capa.due_at = data.get("due_at") or clocks.default_due(capa.horizon, now)
    if capa.due_at is None:
        raise ValidationFailed(
            _("No active policy gives this horizon a default due date; give the due date."),
            fields={"due_at": ["required"]},
        )
    _validate_links(capa, incidents)
    _check_people(capa)
    capa.reference = allocate_reference("CAPA")
    model_save(capa, actor=actor, lookups=False)
    for incident in incidents:
        _link(capa, incident, actor)
    clocks.start_due_clock(capa, actor=actor, now=now)
    return capa


def _answered_root_cause(given, incidents) -> RootCause | None:
    """The root cause the new CAPA answers: ``given`` (a ``RootCause`` or its id) must be the
    confirmed cause of one of the CAPA's incidents; without one, the first incident's confirmed
    cause (if any) is taken."""
    incident_ids = [incident.pk for incident in incidents]
    confirmed = RootCause.objects.filter(
        incident_id__in=incident_ids, status=RootCauseStatus.CONFIRMED
    )
    if given in (None, ""):
        by_incident = {cause.incident_id: cause for cause in confirmed}
        return next((by_incident[pk] for pk in incident_ids if pk in by_incident), None)
    given_id = getattr(given, "pk", given)
    cause = RootCause.objects.filter(pk=given_id, incident_id__in=incident_ids).first()
    if cause is None:
        raise ValidationFailed(
            _(
                "The root cause must be one of the CAPA's incidents'; link the incident first, "
                "or leave the root cause empty to take the incident's confirmed one."
            ),
            fields={"root_cause": [_("not a root cause of the CAPA's incidents")]},
        )
    if cause.status != RootCauseStatus.CONFIRMED:
        raise ValidationFailed(
            _(
                "A CAPA answers a confirmed root cause; this one is %(status)s. Confirm it on the "
                "incident page first, or leave the root cause empty."
            )
            % {"status": cause.get_status_display().lower()},
            fields={"root_cause": [_("not confirmed")]},
        )
    return cause


def _validate_links(capa, incidents) -> None:
    if capa.source == ActionSource.INCIDENT and not incidents:
        raise ValidationFailed(
            _("A CAPA from an incident names the incident it answers."),
            fields={"incidents": ["required"]},
        )
    if capa.source == ActionSource.AUDIT_FINDING and capa.finding_id is None:
        raise ValidationFailed(
            _("A CAPA from an audit finding names the finding."), fields={"finding": ["required"]}
        )
    if capa.finding_id is not None and capa.source != ActionSource.AUDIT_FINDING:
        raise ValidationFailed(
            _("Only a CAPA whose source is an audit finding names a finding."),
            fields={"finding": ["only for source audit_finding"]},
        )
    if (
        capa.finding_id is not None
        and Finding.objects.filter(pk=capa.finding_id, status=FindingStatus.CLOSED).exists()
    ):
        raise ValidationFailed(
            _("%s is closed; reopen it before raising more CAPAs for it.") % capa.finding.reference,
            fields={"finding": ["closed"]},
        )


def _link(capa, incident, actor) -> CapaIncidentLink:
    link = model_save(
        CapaIncidentLink(capa=capa, incident=incident, linked_by=actor), actor=actor, lookups=False
    )
    events.capa_linked_event(incident=incident, actor=actor, capa=capa)
    return link


@audited_write
def capa_link_incident(*, actor, capa, incident) -> CapaIncidentLink:
    """Let one CAPA answer another incident too (a recurrence, a sibling incident)."""
    capa = _lock_capa(capa)
    require(permissions.can_edit_capa(actor, capa))
    if CapaIncidentLink.objects.filter(capa=capa, incident=incident).exists():
        raise ValidationFailed(
            _("%(capa)s already answers %(incident)s.")
            % {"capa": capa.reference, "incident": incident.reference}
        )
    return _link(capa, incident, actor)


@audited_write
def capa_update(*, actor, capa, data: dict, expected_version: str | None = None):
    """Edit the record (never its status). A stale version is refused (412)."""
    capa = _lock_capa(capa)
    require(permissions.can_edit_capa(actor, capa))
    check_version(capa, expected_version)
    if capa.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED):
        raise ValidationFailed(
            _("%(capa)s is %(status)s: its record is final.")
            % {"capa": capa.reference, "status": capa.get_status_display().lower()}
        )
    previous_horizon, previous_due = capa.horizon, capa.due_at
    if (
        capa.root_cause_id is not None
        and "root_cause_category" in data
        and data["root_cause_category"] != capa.root_cause_category
    ):
        raise ValidationFailed(
            _("%s answers a confirmed root cause: its category follows that root cause.")
            % capa.reference,
            fields={"root_cause_category": [_("follows the root cause")]},
        )
    changed = _apply(capa, data, CAPA_FIELDS)
    if not changed:
        return capa
    _check_people(capa)
    model_save(capa, actor=actor, lookups=False)
    if capa.status != ActionStatus.IMPLEMENTED and (
        capa.horizon != previous_horizon or capa.due_at != previous_due
    ):
        clocks.move_due_clock(
            capa, actor=actor, now=timezone.now(), previous_horizon=previous_horizon
        )
    return capa


@audited_write
def capa_transition(*, actor, capa, to: str, reason: str = "") -> CorrectiveAction:
    """Move the CAPA one step, as ``workflow.CAPA_LIFECYCLE`` allows."""
    capa = _lock_capa(capa)
    reason = (reason or "").strip()
    move = workflow.CAPA_LIFECYCLE.check(capa, to=to, actor=actor, reason=reason)
    source = capa.status
    now = timezone.now()
    capa.status = move.target
    if move.milestone:
        setattr(capa, move.milestone, now)
    if move.target == ActionStatus.CANCELLED:
        capa.cancel_reason = reason
    if source == ActionStatus.IMPLEMENTED and move.target == ActionStatus.IN_PROGRESS:
        capa.implemented_at = None
    capa._change_reason = history_reason(reason)
    model_save(capa, actor=actor, lookups=False)
    if move.target == ActionStatus.IMPLEMENTED:
        clocks.due_met(capa, actor=actor, at=now)
    elif move.target == ActionStatus.IN_PROGRESS and source == ActionStatus.IMPLEMENTED:
        clocks.start_due_clock(capa, actor=actor, now=now)
    elif move.target in (ActionStatus.CANCELLED,):
        clocks.end_all(capa, actor=actor, reason="CAPA cancelled")
    events.capa_status_event(
        incidents=_incidents_of(capa),
        actor=actor,
        capa=capa,
        source=source,
        target=move.target,
        reason=reason,
    )
    return capa


# --- effectiveness check -----------------------------------------------------------------------


@audited_write
def effectiveness_check_plan(
    *, actor, capa, criterion: str, method: str, due_at=None
) -> EffectivenessCheck:
    """Say how the effect will be verified and by when (default: 30 days after the CAPA's due
    date). Re-planning is possible until a result is recorded."""
    capa = _lock_capa(capa)
    require(permissions.can_plan_check(actor, capa))
    if capa.status not in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED):
        raise ValidationFailed(_("%s is final: no check to plan.") % capa.reference)
    criterion, method = (criterion or "").strip(), (method or "").strip()
    missing = {
        n: [_("required")] for n, v in (("criterion", criterion), ("method", method)) if not v
    }
    if missing:
        raise ValidationFailed(
            _("An effectiveness check needs its criterion and its method."), fields=missing
        )
    check = EffectivenessCheck.objects.filter(capa=capa).first()
    if check is not None and check.result != CheckResult.PENDING:
        raise ValidationFailed(_("The check's result is recorded; it can no longer be re-planned."))
    check = check or EffectivenessCheck(capa=capa, planned_by=actor)
    check.criterion, check.method = criterion, method
    check.due_at = due_at or capa.due_at + timedelta(days=30)
    model_save(check, actor=actor, lookups=False)
    clocks.start_check_clock(capa, check, actor=actor, now=timezone.now())
    return check


@audited_write
def effectiveness_check_record(*, actor, capa, result: str, note: str = "") -> EffectivenessCheck:
    """The verifier's finding, once the CAPA is implemented: passed or failed. Never by the
    CAPA's owner or implementer."""
    capa = _lock_capa(capa)
    require(permissions.can_verify(actor, capa))
    check = EffectivenessCheck.objects.select_for_update().filter(capa=capa).first()
    if check is None:
        raise GuardFailed(
            _("Plan the effectiveness check first: its criterion, method and due date.")
        )
    if capa.status != ActionStatus.IMPLEMENTED:
        raise GuardFailed(
            _(
                "The check's result is recorded once the CAPA is implemented; %(capa)s is %(status)s."
            )
            % {"capa": capa.reference, "status": capa.get_status_display().lower()}
        )
    if result not in (CheckResult.PASSED, CheckResult.FAILED):
        raise ValidationFailed(
            _("The result is passed or failed."), fields={"result": [_("invalid choice")]}
        )
    if check.result != CheckResult.PENDING:
        raise ValidationFailed(
            _("The result is already recorded: %s.") % check.get_result_display()
        )
    now = timezone.now()
    check.result, check.result_note = result, (note or "").strip()
    check.verified_by, check.verified_at = actor, now
    model_save(check, actor=actor, lookups=False)
    clocks.check_met(capa, actor=actor, at=now)
    events.check_result_event(incidents=_incidents_of(capa), actor=actor, capa=capa, check=check)
    return check


# --- closure evidence ---------------------------------------------------------------------------


@audited_write
def capa_evidence_add(*, actor, capa, uploaded_file, description: str = "") -> ActionEvidence:
    """Preserve a file showing what the CAPA changed: hashed, typed from its content, stored once."""
    capa = _lock_capa(capa)
    require(permissions.can_add_capa_evidence(actor, capa))
    facts = read_upload(uploaded_file)
    evidence = ActionEvidence(
        capa=capa,
        description=(description or "").strip(),
        captured_by=actor,
        captured_at=timezone.now(),
        **facts,
    )
    evidence.full_clean(exclude=["file", "capa", "captured_by"])
    store_file(evidence, facts["original_name"], uploaded_file)
    try:
        model_save(evidence, actor=actor, validate=False)
    except BaseException:
        evidence.file.storage.delete(evidence.file.name)  # no file without its record
        raise
    return evidence


def capa_evidence_open(*, actor, evidence: ActionEvidence):
    """The file, after re-checking its SHA-256 (the caller checked that ``actor`` sees the CAPA)."""
    if not file_intact(evidence.file, evidence.sha256):
        raise EvidenceIntegrityFailed()
    return evidence.file.open("rb")


# --- "no CAPA needed" -------------------------------------------------------------------------


@audited_write
def no_capa_decide(*, actor, incident, reason: str) -> NoCapaDecision:
    """Record why the incident needs no corrective action, so it may close without one."""
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    require(permissions.can_decide_no_capa(actor, incident))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _(
                "Say why no CAPA is needed (e.g. 'a one-off operator error, already covered by CAPA-0003')."
            ),
            fields={"reason": [_("required")]},
        )
    if NoCapaDecision.objects.filter(incident=incident).exists():
        raise ValidationFailed(_("The decision that no CAPA is needed is already recorded."))
    decision = model_save(
        NoCapaDecision(
            incident=incident, reason=reason, decided_by=actor, decided_at=timezone.now()
        ),
        actor=actor,
        lookups=False,
    )
    events.no_capa_event(incident=incident, actor=actor, decision=decision)
    return decision


# --- audit findings ---------------------------------------------------------------------------


@audited_write
def finding_create(*, actor, data: dict) -> Finding:
    require(permissions.can_manage_findings(actor))
    finding = Finding(raised_by=actor)
    _apply(finding, data, FINDING_FIELDS)
    finding.reference = allocate_reference("FND")
    model_save(finding, actor=actor, lookups=False)
    return finding


@audited_write
def finding_update(*, actor, finding, data: dict, expected_version: str | None = None) -> Finding:
    finding = Finding.objects.select_for_update(no_key=True).get(pk=finding.pk)
    require(permissions.can_manage_findings(actor, finding))
    check_version(finding, expected_version)
    if finding.status == FindingStatus.CLOSED:
        raise ValidationFailed(_("%s is closed; reopen it to change it.") % finding.reference)
    if _apply(finding, data, FINDING_FIELDS):
        model_save(finding, actor=actor, lookups=False)
    return finding


@audited_write
def finding_transition(*, actor, finding, to: str, reason: str = "") -> Finding:
    """Move the finding one step (``workflow.FINDING_LIFECYCLE``); closing an observation or an
    opportunity records the reason as its closure decision."""
    finding = Finding.objects.select_for_update(no_key=True).get(pk=finding.pk)
    reason = (reason or "").strip()
    move = workflow.FINDING_LIFECYCLE.check(finding, to=to, actor=actor, reason=reason)
    finding.status = move.target
    if move.target == FindingStatus.CLOSED:
        finding.closed_at, finding.closed_by = timezone.now(), actor
        finding.closure_decision = reason
    else:
        finding.closed_at, finding.closed_by = None, None
    finding._change_reason = history_reason(reason)
    model_save(finding, actor=actor, lookups=False)
    return finding
