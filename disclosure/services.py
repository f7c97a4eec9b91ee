"""Writes of the disclosure module: one function per business action, each in one transaction.

The assessment is proposed by the rules from the record's facts (``assessment_refresh``), a
person confirms each obligation (``obligation_confirm``), legal signs off
(``assessment_sign_off``); submissions are recorded with the document sent
(``obligation_submit``). Each owed obligation with a deadline runs a clock in ``aims.clocks``
(reminders and escalations to legal and the DPO, exactly once).
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.clocks import services as clocks
from aims.core.concurrency import check_version
from aims.core.exceptions import ApplicationError, Conflict, GuardFailed, ValidationFailed
from aims.core.permissions import require
from aims.core.services import (
    audited_write,
    bulk_save_audited,
    model_bulk_create,
    model_bulk_update,
    model_save,
)

from . import events, permissions, rules, selectors
from .choices import (
    Applies,
    AssessmentStatus,
    CommunicationStatus,
    DisclosureClockKind,
    ObligationStatus,
    SubmissionPhase,
    VendorNoticeBasis,
)
from .models import (
    AffectedIndividual,
    Communication,
    CommunicationPlanEntry,
    DisclosureAssessment,
    IncidentFacts,
    IndividualsExport,
    IndividualsUpload,
    Obligation,
    RegimeRule,
    Submission,
    SystemFacts,
    VendorNotice,
)

# What legal may change on a regime row, in the order the forms show it (code and stage are
# stable: the API, exports and PDFs name obligations by them).
REGIME_FIELDS = (
    "title",
    "trigger",
    "clock_start",
    "deadline_rule",
    "deadline_note",
    "recipient",
    "required_content",
    "source",
    "needs_legal_review",
    "applies_from",
    "applies_from_by_class",
)
INCIDENT_FACT_FIELDS = frozenset(
    {
        "aware_at",
        "exercise",
        "widespread_infringement",
        "breach_risk",
        "data_unintelligible",
        "phi_individuals",
        "phi_residents_by_state",
        "nis2_significant",
        "dora_major",
        "dora_classified_at",
        "cer_significant_disruption",
        "sb53_critical_safety_incident",
        "imminent_risk_of_death_or_injury",
    }
)
SYSTEM_FACT_FIELDS = frozenset(
    {
        "gpai_systemic_risk",
        "medical_device",
        "cer_critical_entity",
        "frontier_developer",
        "china_cii_operator",
    }
)
PROPOSAL_FIELDS = (
    "position",
    "proposed",
    "proposed_reason",
    "clock_start",
    "deadline",
    "deadline_note",
    "recipient",
    "required_content",
    "source",
    "needs_legal_review",
)


def _refuse_unknown(data: dict, allowed) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed here: %s.") % ", ".join(sorted(unknown)),
            fields={name: [_("not editable")] for name in sorted(unknown)},
        )


# --- the rules table --------------------------------------------------------------------------


@audited_write
def regime_update(*, actor, regime: RegimeRule, data: dict, expected_version=None) -> RegimeRule:
    """Legal or GRC change a rule row (its code and stage are stable and never change)."""
    require(permissions.can_edit_regimes(actor))
    _refuse_unknown(data, REGIME_FIELDS)
    regime = RegimeRule.objects.select_for_update().get(pk=regime.pk)
    check_version(regime, expected_version)
    for name, value in data.items():
        setattr(regime, name, value)
    return model_save(regime, actor=actor)


# --- facts ------------------------------------------------------------------------------------


def _save_facts(model, owner: dict, data: dict, allowed, actor, expected_version=None) -> tuple:
    """Lock (or start) the facts row of ``owner``, apply what changed, save it audited.
    Returns the row and the names of the fields that changed (none: nothing was written).
    ``expected_version`` (an ETag or a form's version) refuses a stale edit."""
    _refuse_unknown(data, allowed)
    facts = model.objects.select_for_update().filter(**owner).first() or model(**owner)
    check_version(facts, expected_version)
    changed = [name for name, value in data.items() if getattr(facts, name) != value]
    if changed:
        for name in changed:
            setattr(facts, name, data[name])
        model_save(facts, actor=actor)
    return facts, changed


@audited_write
def incident_facts_update(*, actor, incident, data: dict) -> IncidentFacts:
    """Record the disclosure facts of an incident; the change is on the timeline and the
    assessment follows (and reopens if it was signed off)."""
    require(permissions.can_assess(actor, incident))
    facts, changed = _save_facts(
        IncidentFacts, {"incident": incident}, data, INCIDENT_FACT_FIELDS, actor
    )
    if changed:
        events.facts_changed_event(incident=incident, actor=actor, fields=changed)
        assessment_refresh(
            actor=actor, incident=incident, reason=_("facts changed: %s") % ", ".join(changed)
        )
    elif not selectors.has_assessment(incident):
        assessment_refresh(actor=actor, incident=incident)  # nothing new: propose it as it is
    return facts


@audited_write
def system_facts_update(*, actor, system, data: dict, expected_version=None) -> SystemFacts:
    """Record the disclosure facts of an AI system (its owners and managers, as for the rest of
    the inventory record; the row's history is the record of the change). Every open incident
    on the system that was assessed is re-assessed, and a signed-off assessment reopens saying
    which of the system's facts changed."""
    require(permissions.can_edit_system_facts(actor, system))
    facts, changed = _save_facts(
        SystemFacts, {"system": system}, data, SYSTEM_FACT_FIELDS, actor, expected_version
    )
    if not changed:
        return facts
    from incidents.choices import OPEN_STATUSES

    reason = _("%(system)s's flags changed: %(fields)s") % {
        "system": system.reference,
        "fields": ", ".join(changed),
    }
    assessed = system.incident_links.filter(
        incident__status__in=list(OPEN_STATUSES), incident__disclosure_assessment__isnull=False
    ).select_related("incident")
    for link in assessed:
        assessment_refresh(actor=actor, incident=link.incident, reason=reason)
    return facts


# --- the assessment ---------------------------------------------------------------------------


def _facts_json(facts: rules.Facts, systems: dict) -> dict:
    return {"incident": rules.facts_as_json(facts), "systems": systems}


def _flat(facts_json: dict) -> dict:
    flat = {f"incident.{k}": v for k, v in (facts_json.get("incident") or {}).items()}
    for reference, values in (facts_json.get("systems") or {}).items():
        flat.update({f"{reference}.{k}": v for k, v in values.items()})
    return flat


@audited_write
def assessment_refresh(*, actor, incident, reason: str = "") -> DisclosureAssessment:
    """Propose the obligations from the record's facts (creating the assessment on first use).

    Confirmations are kept where the proposal did not change. When facts change after legal
    signed off, the assessment reopens and says which facts changed.
    """
    now = timezone.now()
    assessment = DisclosureAssessment.objects.select_for_update().filter(incident=incident).first()
    existing = {(o.code, o.stage): o for o in assessment.obligations.all()} if assessment else {}
    submitted = {key: o.submitted_at for key, o in existing.items() if o.submitted_at}
    facts, systems = selectors.facts_of(incident)
    proposals = rules.evaluate_for_systems(facts, systems, selectors.regimes(), submitted=submitted)
    facts_json = _facts_json(facts, systems)
    if assessment is None:
        assessment = DisclosureAssessment(incident=incident, facts=facts_json, evaluated_at=now)
        model_save(assessment, actor=actor)
    else:
        changed = rules.changed_facts(_flat(assessment.facts), _flat(facts_json))
        if changed and assessment.status == AssessmentStatus.SIGNED_OFF:
            assessment.status = AssessmentStatus.REOPENED
            assessment.reopened_reason = reason or _("facts changed: %s") % ", ".join(changed)
            events.assessment_reopened_event(
                incident=incident, actor=actor, reason=assessment.reopened_reason
            )
        assessment.facts = facts_json
        assessment.evaluated_at = now
        model_save(assessment, actor=actor, validate=False)
    # Every obligation the proposal changes is written in one statement for the new ones and
    # one for the others, with their history, whatever the number of regimes.
    changed = [
        obligation
        for position, proposal in enumerate(proposals)
        if (
            obligation := _apply_proposal(
                assessment, existing.get((proposal.code, proposal.stage)), proposal, position
            )
        )
        is not None
    ]
    new = [o for o in changed if o.pk is None]
    model_bulk_update(
        [o for o in changed if o.pk is not None],
        actor=actor,
        fields=[*PROPOSAL_FIELDS, *CONFIRMATION_FIELDS, "status"],
        validate=False,
    )
    model_bulk_create(new, actor=actor, validate=False)
    _sync_clocks(changed, incident, actor)
    return assessment


@audited_write
def assessment_propose(*, actor, incident) -> DisclosureAssessment:
    """A person asks the rules to propose (or re-propose) the obligations from the incident's
    facts — only who assesses disclosure. ``assessment_refresh`` itself is also the follow-up
    of other writes (a severity change, a submission, a system's facts) made by their actors."""
    require(permissions.can_assess(actor, incident))
    return assessment_refresh(actor=actor, incident=incident)


CONFIRMATION_FIELDS = ("applies", "confirmed_reason", "confirmed_by", "confirmed_at")


def _apply_proposal(assessment, obligation, proposal: rules.Obligation, position: int):
    """The obligation as the proposal makes it (not saved), or None when nothing changes."""
    values = {
        "position": position,
        "proposed": proposal.applies,
        "proposed_reason": proposal.reason,
        "clock_start": proposal.clock_start,
        "deadline": proposal.deadline,
        "deadline_note": proposal.deadline_note,
        "recipient": proposal.recipient,
        "required_content": proposal.required_content,
        "source": proposal.source,
        "needs_legal_review": proposal.needs_legal_review,
    }
    if obligation is None:
        obligation = Obligation(assessment=assessment, code=proposal.code, stage=proposal.stage)
    elif all(getattr(obligation, k) == v for k, v in values.items()):
        return None
    elif obligation.proposed != proposal.applies and obligation.applies:
        # The rules now say something else than what was confirmed: confirm again.
        obligation.applies, obligation.confirmed_reason = "", ""
        obligation.confirmed_by, obligation.confirmed_at = None, None
    for name, value in values.items():
        setattr(obligation, name, value)
    _settle_status(obligation)
    return obligation


def _settle_status(obligation: Obligation) -> None:
    if obligation.status == ObligationStatus.SUBMITTED:
        return
    obligation.status = (
        ObligationStatus.NOT_REQUIRED
        if obligation.effective == Applies.NO
        else ObligationStatus.PENDING
    )


def _sync_clock(obligation: Obligation, actor) -> None:
    """An owed obligation with a deadline runs a clock to it; any other has none running."""
    kind = DisclosureClockKind.OBLIGATION
    active = clocks.active_clock(obligation, kind)
    owed = (
        obligation.is_owed and obligation.deadline is not None and obligation.submitted_at is None
    )
    if not owed:
        if active is not None:
            clocks.clock_cancel(target=obligation, kind=kind, reason="not owed", actor=actor)
        return
    if active is not None and active.due_at == obligation.deadline:
        return
    reference = obligation.assessment.incident.reference
    clocks.clock_start(
        target=obligation,
        kind=kind,
        label=f"{obligation.code} {obligation.stage} — {reference}",
        started_at=obligation.clock_start or timezone.now(),
        due_at=obligation.deadline,
        owner_role="legal",
        actor=actor,
        restart=active is not None,
        reason="deadline changed",
    )


def _sync_clocks(obligations, incident, actor) -> None:
    """``_sync_clock`` for many obligations of one incident: their clocks read in one query,
    ended in one statement and started in one."""
    kind = DisclosureClockKind.OBLIGATION
    active = clocks.active_clocks_of(obligations, kind)
    ends, starts = [], []
    for obligation in obligations:
        running = active.get(obligation.pk)
        owed = (
            obligation.is_owed
            and obligation.deadline is not None
            and obligation.submitted_at is None
        )
        if not owed:
            if running is not None:
                ends.append((running, "not owed"))
            continue
        if running is not None:
            if running.due_at == obligation.deadline:
                continue
            ends.append((running, "deadline changed"))
        starts.append(
            {
                "target": obligation,
                "kind": kind,
                "label": f"{obligation.code} {obligation.stage} — {incident.reference}",
                "started_at": obligation.clock_start or timezone.now(),
                "due_at": obligation.deadline,
                "owner_role": "legal",
            }
        )
    clocks.clocks_cancel_many(ends, actor=actor)
    clocks.clocks_start_many(starts, actor=actor)


def _lock_obligation(obligation: Obligation) -> Obligation:
    return (
        Obligation.objects.select_for_update()
        .select_related("assessment__incident")
        .get(pk=obligation.pk)
    )


@audited_write
def obligation_confirm(
    *, actor, obligation: Obligation, applies: str, reason: str = ""
) -> Obligation:
    """A person confirms whether an obligation applies; disagreeing with the rules needs a reason."""
    obligation = _lock_obligation(obligation)
    incident = obligation.assessment.incident
    require(permissions.can_assess(actor, incident))
    if applies not in Applies.values:
        raise ValidationFailed(
            _("Say yes, no or undetermined."), fields={"applies": [_("invalid choice")]}
        )
    assessment = obligation.assessment
    if assessment.status == AssessmentStatus.SIGNED_OFF:
        raise GuardFailed(
            _("The assessment is signed off. Legal reopens it before a confirmation changes.")
        )
    reason = (reason or "").strip()
    if applies != obligation.proposed and not reason:
        raise ValidationFailed(
            _("The rules propose %(p)s: say why you confirm %(a)s.")
            % {"p": obligation.proposed, "a": applies},
            fields={"reason": [_("required when you disagree with the rules")]},
        )
    obligation.applies, obligation.confirmed_reason = applies, reason
    obligation.confirmed_by, obligation.confirmed_at = actor, timezone.now()
    _settle_status(obligation)
    model_save(obligation, actor=actor, validate=False)
    _sync_clock(obligation, actor)
    events.obligation_confirmed_event(incident=incident, actor=actor, obligation=obligation)
    return obligation


@audited_write
def assessment_sign_off(
    *, actor, assessment: DisclosureAssessment, comment: str = ""
) -> DisclosureAssessment:
    """Legal signs the assessment off — also when nothing must be notified (that analysis is
    itself the compliance record). Every obligation the rules say applies, or cannot decide,
    must have been confirmed by a person, and none may stay undetermined; those the rules say
    do not apply are accepted by the sign-off unless someone confirmed otherwise."""
    require(permissions.can_sign_off(actor, assessment))
    assessment = (
        DisclosureAssessment.objects.select_for_update()
        .select_related("incident")
        .get(pk=assessment.pk)
    )
    if assessment.status == AssessmentStatus.SIGNED_OFF:
        raise Conflict(_("The assessment is already signed off."))
    obligations = list(assessment.obligations.all())
    unconfirmed = [
        f"{o.code} ({o.stage})" for o in obligations if not o.applies and o.proposed != Applies.NO
    ]
    undetermined = [
        f"{o.code} ({o.stage})" for o in obligations if o.applies == Applies.UNDETERMINED
    ]
    missing = []
    if unconfirmed:
        missing.append(_("confirm %s") % ", ".join(unconfirmed))
    if undetermined:
        missing.append(_("decide %s (still undetermined)") % ", ".join(undetermined))
    if missing:
        raise GuardFailed(_("Before sign-off: %s.") % "; ".join(missing))
    assessment.status = AssessmentStatus.SIGNED_OFF
    assessment.signed_off_by, assessment.signed_off_at = actor, timezone.now()
    assessment.sign_off_comment = (comment or "").strip()
    assessment.reopened_reason = ""
    model_save(assessment, actor=actor, validate=False)
    owed = sum(1 for o in obligations if o.effective == Applies.YES)
    events.assessment_signed_off_event(
        incident=assessment.incident, actor=actor, assessment=assessment, owed=owed
    )
    return assessment


@audited_write
def assessment_reopen(
    *, actor, assessment: DisclosureAssessment, reason: str
) -> DisclosureAssessment:
    require(permissions.can_sign_off(actor, assessment))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the assessment is reopened."), fields={"reason": [_("required")]}
        )
    assessment = (
        DisclosureAssessment.objects.select_for_update()
        .select_related("incident")
        .get(pk=assessment.pk)
    )
    if assessment.status != AssessmentStatus.SIGNED_OFF:
        raise Conflict(_("Only a signed-off assessment is reopened."))
    assessment.status, assessment.reopened_reason = AssessmentStatus.REOPENED, reason
    model_save(assessment, actor=actor, validate=False)
    events.assessment_reopened_event(incident=assessment.incident, actor=actor, reason=reason)
    return assessment


@audited_write
def obligation_submit(
    *,
    actor,
    obligation: Obligation,
    phase: str,
    submitted_at=None,
    reference: str = "",
    note: str = "",
    document=None,
) -> Submission:
    """Record a report sent: when, by whom, the authority's reference and the document (kept as
    write-once evidence). The first submission meets the deadline's clock; a complete report
    marks the obligation submitted. Later stages then run from this submission."""
    from incidents.choices import EvidenceKind
    from incidents.services import evidence_add

    obligation = _lock_obligation(obligation)
    incident = obligation.assessment.incident
    require(permissions.can_submit(actor, obligation))
    if phase not in SubmissionPhase.values:
        raise ValidationFailed(
            _("Say initial or complete."), fields={"phase": [_("invalid choice")]}
        )
    if obligation.effective == Applies.NO:
        raise Conflict(_("This obligation does not apply; nothing is submitted for it."))
    if obligation.status == ObligationStatus.SUBMITTED:
        raise Conflict(_("The complete report was already recorded for this obligation."))
    now = timezone.now()
    submitted_at = submitted_at or now
    if submitted_at > now:
        raise ValidationFailed(
            _("A submission cannot be in the future."),
            fields={"submitted_at": [_("in the future")]},
        )
    evidence = None
    if document is not None:
        evidence = evidence_add(
            actor=actor,
            incident=incident,
            uploaded_file=document,
            kind=EvidenceKind.OTHER,
            description=_("Sent for %(code)s (%(stage)s) to %(recipient)s")
            % {
                "code": obligation.code,
                "stage": obligation.stage,
                "recipient": obligation.recipient,
            },
        )
    submission = Submission(
        obligation=obligation,
        phase=phase,
        submitted_at=submitted_at,
        submitted_by=actor,
        reference=(reference or "").strip(),
        note=(note or "").strip(),
        document=evidence,
    )
    model_save(submission, actor=actor)
    first = obligation.submitted_at is None
    if first:
        obligation.submitted_at = submitted_at
        clocks.clock_met(
            target=obligation, kind=DisclosureClockKind.OBLIGATION, at=submitted_at, actor=actor
        )
    if phase == SubmissionPhase.COMPLETE:
        obligation.status = ObligationStatus.SUBMITTED
    model_save(obligation, actor=actor, validate=False)
    events.submission_event(incident=incident, actor=actor, submission=submission)
    if first:
        assessment_refresh(actor=actor, incident=incident, reason=_("a stage was submitted"))
    return submission


# --- communications ---------------------------------------------------------------------------


def plan_entry_for(audience: str, severity):
    """The plan's entry for an audience: the one for this severity, else the general one."""
    entries = list(CommunicationPlanEntry.objects.filter(audience=audience))
    specific = [
        e
        for e in entries
        if e.min_severity is not None and severity is not None and severity <= e.min_severity
    ]
    if specific:
        return min(specific, key=lambda e: e.min_severity)
    general = [e for e in entries if e.min_severity is None]
    return general[0] if general else None


EXERCISE_MARK = "[EXERCISE]"


def exercise_subject(incident, subject) -> str:
    """An exercise's messages say so in their subject, whoever drafts or edits them."""
    subject = (subject or "").strip() if isinstance(subject, str) else subject
    if incident.kind == "exercise" and subject and not subject.startswith(EXERCISE_MARK):
        return f"{EXERCISE_MARK} {subject}"
    return subject


@audited_write
def communication_draft(*, actor, incident, data: dict) -> Communication:
    """Draft a message; the plan names who approves it (legal when the plan says nothing)."""
    require(permissions.can_communicate(actor, incident))
    _refuse_unknown(data, frozenset({"audience", "channel", "subject", "content", "obligation"}))
    obligation = data.get("obligation")
    if obligation is not None and obligation.assessment.incident_id != incident.pk:
        raise ValidationFailed(
            _("That obligation belongs to another incident."),
            fields={"obligation": [_("another incident")]},
        )
    if "subject" in data:
        data = {**data, "subject": exercise_subject(incident, data["subject"])}
    entry = plan_entry_for(data.get("audience", ""), incident.severity)
    communication = Communication(
        incident=incident,
        drafted_by=actor,
        approver_role=entry.approver_role if entry else "legal",
        **{k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()},
    )
    return model_save(communication, actor=actor)


def _lock_communication(communication) -> Communication:
    return (
        Communication.objects.select_for_update()
        .select_related("incident")
        .get(pk=communication.pk)
    )


@audited_write
def communication_approve(*, actor, communication: Communication) -> Communication:
    communication = _lock_communication(communication)
    require(permissions.can_approve_communication(actor, communication))
    if communication.status != CommunicationStatus.DRAFT:
        raise Conflict(
            _("Only a draft is approved; this one is %s.") % communication.get_status_display()
        )
    communication.status = CommunicationStatus.APPROVED
    communication.approved_by, communication.approved_at = actor, timezone.now()
    model_save(communication, actor=actor, validate=False)
    events.communication_approved_event(
        incident=communication.incident, actor=actor, communication=communication
    )
    return communication


@audited_write
def communication_send(*, actor, communication: Communication, sent_at=None) -> Communication:
    """Record that the approved message went out (by the channel it names)."""
    communication = _lock_communication(communication)
    require(permissions.can_communicate(actor, communication.incident))
    if communication.status != CommunicationStatus.APPROVED:
        raise GuardFailed(
            _("A communication is sent only once it is approved (by %s).")
            % (communication.approver_role or "legal")
        )
    now = timezone.now()
    sent_at = sent_at or now
    if sent_at > now:
        raise ValidationFailed(
            _("It cannot have been sent in the future."), fields={"sent_at": [_("in the future")]}
        )
    communication.status = CommunicationStatus.SENT
    communication.sent_by, communication.sent_at = actor, sent_at
    model_save(communication, actor=actor, validate=False)
    events.communication_sent_event(
        incident=communication.incident, actor=actor, communication=communication
    )
    return communication


@audited_write
def obligation_draft(*, actor, obligation: Obligation) -> Communication:
    """A report draft for the obligation, pre-filled from the record, as a communication that
    the plan's approver (legal, for regulators) approves before it is sent."""
    from .drafts import DRAFTS

    obligation = _lock_obligation(obligation)
    incident = obligation.assessment.incident
    require(permissions.can_communicate(actor, incident))
    if obligation.code not in DRAFTS:
        raise ValidationFailed(
            _("There is no report template for %(code)s; draft the communication yourself.")
            % {"code": obligation.code}
        )
    audience, build = DRAFTS[obligation.code]
    subject, content = build(selectors.draft_context(incident))
    return communication_draft(
        actor=actor,
        incident=incident,
        data={
            "audience": audience,
            "channel": _("as the recipient requires"),
            "subject": subject,
            "content": content,
            "obligation": obligation,
        },
    )


# --- vendor coordination ----------------------------------------------------------------------


@audited_write
def vendor_notice_record(*, actor, incident, system, data: dict) -> VendorNotice:
    """Record the notice to a system's supplier. Under Art. 26(5) it also records the
    deployer's obligation as met (a complete submission to the provider)."""
    require(permissions.can_communicate(actor, incident))
    _refuse_unknown(data, frozenset({"basis", "channel", "content", "notified_at"}))
    if not incident.affected_systems.filter(system=system).exists():
        raise ValidationFailed(
            _("%s is not an affected system of this incident.") % system.reference,
            fields={"system": [_("not affected")]},
        )
    if not system.supplier:
        raise ValidationFailed(
            _("%s has no supplier in the inventory; record it there first.") % system.reference,
            fields={"system": [_("no supplier")]},
        )
    now = timezone.now()
    notified_at = data.get("notified_at") or now
    if notified_at > now:
        raise ValidationFailed(
            _("A notice cannot be in the future."), fields={"notified_at": [_("in the future")]}
        )
    obligation = None
    if data.get("basis") == VendorNoticeBasis.ART26_5:
        obligation = Obligation.objects.filter(
            assessment__incident=incident, code="eu_ai_act_art26_5"
        ).first()
    notice = VendorNotice(
        incident=incident,
        system=system,
        supplier=system.supplier,
        basis=data.get("basis", ""),
        obligation=obligation,
        notified_at=notified_at,
        notified_by=actor,
        channel=(data.get("channel") or "").strip(),
        content=(data.get("content") or "").strip(),
    )
    model_save(notice, actor=actor)
    events.vendor_event(incident=incident, actor=actor, notice=notice, what="notified")
    if (
        obligation is not None
        and obligation.effective != Applies.NO
        and obligation.submitted_at is None
    ):
        obligation_submit(
            actor=actor,
            obligation=obligation,
            phase=SubmissionPhase.COMPLETE,
            submitted_at=notified_at,
            note=_("Provider informed: %s") % notice.supplier,
        )
    return notice


def _lock_notice(notice) -> VendorNotice:
    return VendorNotice.objects.select_for_update().select_related("incident").get(pk=notice.pk)


@audited_write
def vendor_notice_acknowledge(
    *, actor, notice: VendorNotice, acknowledged_at=None, vendor_reference=""
) -> VendorNotice:
    notice = _lock_notice(notice)
    require(permissions.can_communicate(actor, notice.incident))
    if notice.acknowledged_at:
        raise Conflict(_("The supplier's acknowledgement is already recorded."))
    notice.acknowledged_at = acknowledged_at or timezone.now()
    if notice.acknowledged_at < notice.notified_at:
        raise ValidationFailed(
            _("The acknowledgement cannot come before the notice."),
            fields={"acknowledged_at": [_("before the notice")]},
        )
    notice.vendor_reference = (vendor_reference or "").strip()
    model_save(notice, actor=actor)
    events.vendor_event(incident=notice.incident, actor=actor, notice=notice, what="acknowledged")
    return notice


@audited_write
def vendor_notice_fix(
    *, actor, notice: VendorNotice, fix_description: str, fixed_version="", fixed_at=None, capa=None
) -> VendorNotice:
    """Record the supplier's fix and version, and optionally the incident's CAPA that tracks it
    on our side (it must answer this incident and not be cancelled)."""
    notice = _lock_notice(notice)
    require(permissions.can_communicate(actor, notice.incident))
    if not (fix_description or "").strip():
        raise ValidationFailed(
            _("Describe the supplier's fix."), fields={"fix_description": [_("required")]}
        )
    if capa is not None:
        from capa.choices import ActionStatus
        from capa.models import CorrectiveAction

        capa_id = getattr(capa, "pk", capa)
        capa = (
            CorrectiveAction.objects.filter(pk=capa_id, links__incident=notice.incident)
            .exclude(status=ActionStatus.CANCELLED)
            .first()
        )
        if capa is None:
            raise ValidationFailed(
                _("Link one of this incident's CAPAs that is not cancelled."),
                fields={"capa": [_("not a CAPA of this incident")]},
            )
        notice.capa = capa
    notice.fix_description = fix_description.strip()
    notice.fixed_version = (fixed_version or "").strip()
    notice.fixed_at = fixed_at or timezone.now()
    model_save(notice, actor=actor)
    events.vendor_event(incident=notice.incident, actor=actor, notice=notice, what="fixed")
    return notice


def on_incident_facts_changed(*, incident, actor, fields) -> None:
    """The incident's own facts changed (severity, harm flags, kind, systems, …): an existing
    assessment follows, and reopens with the reason when legal had signed it off."""
    if selectors.has_assessment(incident):
        assessment_refresh(
            actor=actor,
            incident=incident,
            reason=_("incident facts changed: %s") % ", ".join(fields),
        )


# --- affected individuals ---------------------------------------------------------------------
# The list of the people an incident affects: uploaded by legal or the DPO as CSV, kept as a
# write-once file with its SHA-256, one row per person with where their notice stands, exported
# for a mail merge. Its counts are the disclosure facts ``phi_individuals`` and
# ``phi_residents_by_state``: an upload writes them through ``incident_facts_update``, so they
# are on the timeline and re-evaluate (and reopen) the assessment as any fact change does.

INDIVIDUALS_PER_UPDATE = 10_000  # people per status update (one statement's parameters)
INDIVIDUAL_STATUS_FIELDS = [
    "status",
    "status_at",
    "status_by",
    "notified_channel",
    "status_reason",
    "updated_at",
]


def individuals_max_bytes() -> int:
    from django.conf import settings

    return int(getattr(settings, "AFFECTED_INDIVIDUALS_MAX_BYTES", 10 * 1024 * 1024))


def _current_upload(incident, *, lock=False):
    queryset = IndividualsUpload.objects.filter(incident=incident, superseded_at__isnull=True)
    return (queryset.select_for_update() if lock else queryset).first()


@audited_write
def individuals_upload(*, actor, incident, uploaded_file) -> IndividualsUpload:
    """Take a CSV list of affected individuals: validate every row (nothing is kept from a file
    with errors), store the file once with its SHA-256, keep a row per person, and give the
    counts to the disclosure facts. A new list supersedes the current one; the people on both
    (same identifier) keep their notification status."""
    from aims.core.files import (
        EvidenceTooLarge,
        detect_media_type,
        hash_file,
        safe_name,
        store_file,
    )

    from . import affected

    require(permissions.can_handle_individuals(actor, incident))
    limit = individuals_max_bytes()
    if uploaded_file is None:
        raise ValidationFailed(
            _("Choose the CSV file to upload."), fields={"file": [_("required")]}
        )
    if uploaded_file.size is not None and uploaded_file.size > limit:
        raise EvidenceTooLarge(
            _(
                "The file is %(size)s bytes; a list of affected individuals is limited to "
                "%(limit)s bytes. Split it or remove columns that are not needed."
            )
            % {"size": uploaded_file.size, "limit": limit}
        )
    sha256, size, head = hash_file(uploaded_file)
    if size == 0:
        raise ValidationFailed(_("The file is empty."), fields={"file": [_("empty")]})
    if size > limit:  # the client did not say the size: the bytes read do
        raise EvidenceTooLarge(
            _("The file is larger than %(limit)s bytes; split it and upload the parts.")
            % {"limit": limit}
        )
    try:
        people = affected.parse(uploaded_file.read())
    except affected.ListInvalid as exc:
        raise ValidationFailed(
            _("The list was not kept: %s") % " ".join(exc.errors), fields={"file": exc.errors}
        ) from exc
    finally:
        uploaded_file.seek(0)
    now = timezone.now()
    previous = _current_upload(incident, lock=True)
    carried = {}
    if previous is not None:
        carried = {
            row["identifier"]: row
            for row in previous.people.exclude(status="pending").values(
                "identifier", *[f for f in INDIVIDUAL_STATUS_FIELDS if f != "updated_at"]
            )
        }
        previous.superseded_at = now
        model_save(previous, actor=actor, validate=False)
    by_state = affected.residents_by_state(people)
    name = safe_name(getattr(uploaded_file, "name", "") or "individuals.csv")
    upload = IndividualsUpload(
        incident=incident,
        original_name=name,
        sha256=sha256,
        size=size,
        media_type=detect_media_type(head, name),
        row_count=len(people),
        residents_by_state=by_state,
        uploaded_by=actor,
        uploaded_at=now,
    )
    store_file(upload, name, uploaded_file)
    try:
        model_save(upload, actor=actor, validate=False)  # built here from validated values
        rows = []
        for person in people:
            row = AffectedIndividual(
                upload=upload,
                incident=incident,
                row_number=person.row_number,
                identifier=person.identifier,
                contact=person.contact,
                name=person.name,
                state=person.state,
                country=person.country,
                channel=person.channel,
            )
            kept = carried.get(person.identifier)
            if kept:
                row.status, row.status_at = kept["status"], kept["status_at"]
                row.status_by_id = kept["status_by"]
                row.notified_channel = kept["notified_channel"]
                row.status_reason = kept["status_reason"]
            rows.append(row)
        bulk_save_audited(AffectedIndividual, rows, actor=actor, reason="list uploaded")
        kept_count = sum(1 for p in people if p.identifier in carried)
        events.individuals_uploaded_event(
            incident=incident, actor=actor, upload=upload, carried=kept_count
        )
        incident_facts_update(
            actor=actor,
            incident=incident,
            data={"phi_individuals": len(people), "phi_residents_by_state": by_state},
        )
    except BaseException:
        upload.file.storage.delete(upload.file.name)  # no file without its record
        raise
    return upload


@audited_write
def individuals_status_update(
    *,
    actor,
    incident,
    status: str,
    ids=None,
    identifiers=None,
    channel: str = "",
    reason: str = "",
    at=None,
) -> list[AffectedIndividual]:
    """Record where the notice to some people of the current list stands (one or many at once):
    notified (when, by whom, by which channel — the person's own channel when none is given),
    bounced or failed (with the reason), not to be notified (with the reason), or pending."""
    from .choices import IndividualStatus, NoticeChannel

    require(permissions.can_handle_individuals(actor, incident))
    if status not in IndividualStatus.values:
        raise ValidationFailed(
            _("Choose the status: %s.") % ", ".join(IndividualStatus.values),
            fields={"status": [_("invalid choice")]},
        )
    channel, reason = (channel or "").strip(), (reason or "").strip()
    if channel and channel not in NoticeChannel.values:
        raise ValidationFailed(
            _("Choose the channel: %s.") % ", ".join(NoticeChannel.values),
            fields={"channel": [_("invalid choice")]},
        )
    if status in (IndividualStatus.FAILED, IndividualStatus.NOT_NOTIFIED) and not reason:
        raise ValidationFailed(
            _("Say why (%s).") % IndividualStatus(status).label,
            fields={"reason": [_("required for this status")]},
        )
    now = timezone.now()
    at = at or now
    if at > now:
        raise ValidationFailed(
            _("A notice cannot be recorded in the future."), fields={"at": [_("in the future")]}
        )
    if len(ids or []) + len(identifiers or []) > INDIVIDUALS_PER_UPDATE:
        raise ValidationFailed(
            _("At most %s people are updated at once; split the list.")
            % f"{INDIVIDUALS_PER_UPDATE:,}",
            fields={"identifiers": [_("too many")]},
        )
    ids = [int(i) for i in (ids or [])]
    out_of_range = [i for i in ids if not 0 < i < 2**31]  # no row has such an id
    ids = [i for i in ids if 0 < i < 2**31]
    identifiers = [str(i).strip() for i in (identifiers or []) if str(i).strip()]
    if not ids and not identifiers:
        raise ValidationFailed(
            _("Choose the people to update (tick them, or paste their identifiers)."),
            fields={"identifiers": [_("required")]},
        )
    upload = _current_upload(incident)
    if upload is None:
        raise ValidationFailed(_("This incident has no list of affected individuals yet."))
    from django.db.models import Q

    rows = list(
        AffectedIndividual.objects.select_for_update()
        .filter(upload=upload)
        .filter(Q(pk__in=ids) | Q(identifier__in=identifiers))
        .order_by("row_number")
    )
    found_ids, found_identifiers = {r.pk for r in rows}, {r.identifier for r in rows}
    unknown = [str(i) for i in [*out_of_range, *ids] if i not in found_ids]
    unknown += [i for i in identifiers if i not in found_identifiers]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        raise ValidationFailed(
            _("Not on the current list: %s. Nothing was changed.") % shown,
            fields={"identifiers": [_("not on the list")]},
        )
    if status == IndividualStatus.NOTIFIED and not channel:
        without = [r.identifier for r in rows if not r.channel]
        if without:
            raise ValidationFailed(
                _("Say the channel: %s have none on the list.") % ", ".join(without[:10]),
                fields={"channel": [_("required")]},
            )
    pending = status == IndividualStatus.PENDING
    for row in rows:
        row.status = status
        row.status_at, row.status_by = (None, None) if pending else (at, actor)
        row.notified_channel = (
            (channel or row.channel) if status == IndividualStatus.NOTIFIED else ""
        )
        row.status_reason = "" if status == IndividualStatus.NOTIFIED or pending else reason
        row.updated_at = now
    bulk_save_audited(
        AffectedIndividual,
        rows,
        actor=actor,
        fields=INDIVIDUAL_STATUS_FIELDS,
        reason=f"notice {status}",
    )
    events.individuals_status_event(
        incident=incident,
        actor=actor,
        status=status,
        status_label=str(IndividualStatus(status).label),
        count=len(rows),
    )
    return rows


def individual_status_update(
    *, actor, individual: AffectedIndividual, **data
) -> AffectedIndividual:
    """One person's notice (the same rule and record as for many at once)."""
    (row,) = individuals_status_update(
        actor=actor, incident=individual.incident, ids=[individual.pk], **data
    )
    return row


@audited_write
def individuals_export(*, actor, incident, status: str = ""):
    """Record an export of the current list (for a mail merge) and return it with the rows to
    write: the people with ``status`` (all when empty), in the file's order. The caller streams
    the rows; the record says who took how many people, and when."""
    from .choices import IndividualStatus

    require(permissions.can_handle_individuals(actor, incident))
    if status and status not in IndividualStatus.values:
        raise ValidationFailed(
            _("Choose the status: %s.") % ", ".join(IndividualStatus.values),
            fields={"status": [_("invalid choice")]},
        )
    upload = _current_upload(incident)
    if upload is None:
        raise ValidationFailed(_("This incident has no list of affected individuals yet."))
    rows = selectors.individuals_of(upload, status=status)
    export = IndividualsExport(
        upload=upload,
        what=IndividualsExport.MAIL_MERGE,
        hash_verified=False,
        exported_by=actor,
        exported_at=timezone.now(),
        status_filter=status,
        row_count=rows.count(),
    )
    model_save(export, actor=actor, lookups=False)
    events.individuals_exported_event(incident=incident, actor=actor, export=export)
    return export, rows


# --- editing a draft's text (report drafts are pre-filled, then completed by a person) ---------

COMMUNICATION_EDIT_FIELDS = ("subject", "content", "channel")


@audited_write
def communication_edit(
    *, actor, communication: Communication, data: dict, expected_version=None
) -> Communication:
    """Change the text of a communication while it is a draft — a report draft's gaps are
    filled in here before legal approves it. An approved text is fixed: what was approved is
    what is sent (draft a new communication to say something else)."""
    communication = _lock_communication(communication)
    require(permissions.can_communicate(actor, communication.incident))
    _refuse_unknown(data, COMMUNICATION_EDIT_FIELDS)
    check_version(communication, expected_version)
    if communication.status != CommunicationStatus.DRAFT:
        raise Conflict(
            _("Only a draft is edited; this one is %s. Draft a new communication instead.")
            % communication.get_status_display()
        )
    values = {k: (v or "").strip() for k, v in data.items()}
    if values.get("subject"):
        values["subject"] = exercise_subject(communication.incident, values["subject"])
    empty = [k for k in ("subject", "content") if k in values and not values[k]]
    if empty:
        raise ValidationFailed(
            _("A communication needs a subject and a text."),
            fields={k: [_("required")] for k in empty},
        )
    changed = [k for k, v in values.items() if getattr(communication, k) != v]
    if not changed:
        return communication
    for name in changed:
        setattr(communication, name, values[name])
    model_save(communication, actor=actor, lookups=False)
    events.communication_edited_event(
        incident=communication.incident, actor=actor, communication=communication, fields=changed
    )
    return communication


class IndividualsFileIntegrityFailed(ApplicationError):
    code = "evidence_integrity_failed"
    status_code = 409
    default_message = _(
        "The stored list no longer matches the SHA-256 recorded when it was uploaded. It was "
        "not served; the failed check is recorded."
    )


def individuals_file_open(*, actor, incident):
    """Open the uploaded file of the current list after re-checking its SHA-256; the download
    (or the failed check) is recorded, as for evidence."""
    import hashlib

    require(permissions.can_handle_individuals(actor, incident))
    upload = _current_upload(incident)
    if upload is None:
        raise ValidationFailed(_("This incident has no list of affected individuals yet."))
    digest = hashlib.sha256()
    with upload.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    intact = digest.hexdigest() == upload.sha256
    _record_file_access(actor=actor, incident=incident, upload=upload, intact=intact)
    if not intact:
        raise IndividualsFileIntegrityFailed()
    return upload, upload.file.open("rb")


@audited_write
def _record_file_access(*, actor, incident, upload, intact) -> IndividualsExport:
    export = IndividualsExport(
        upload=upload,
        what=IndividualsExport.ORIGINAL_FILE,
        hash_verified=intact,
        exported_by=actor,
        exported_at=timezone.now(),
        row_count=upload.row_count,
    )
    model_save(export, actor=actor, lookups=False)
    events.individuals_exported_event(incident=incident, actor=actor, export=export)
    return export
