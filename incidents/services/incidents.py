"""Filing, editing and moving incidents; severity; people; notes."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import (
    IdempotencyConflict,
    ValidationFailed,
)
from aims.core.instants import EARLIEST_RECORDED
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, bulk_save_audited, history_reason, model_save
from inventory.models import AISystem
from inventory.selectors import deployment_in_production_at

from .. import clocks, events, hooks, permissions, rules, workflow
from ..choices import ParticipantPart, Severity, Status
from ..models import AffectedSystem, IdempotencyRecord, Incident, IncidentTechnique, Participant

INCIDENT_FIELDS = frozenset(
    {
        "title",
        "description",
        "kind",
        "types",
        "failure_nature",
        "scope",
        "affected_inputs",
        "detection_source",
        "detected_at",
        "failure_began_at",
        "outputs_affected_estimate",
        "individuals_affected_estimate",
        "individuals_affected_confirmed",
        "individuals_affected_lower",
        "individuals_affected_upper",
        "decisions_affected_pct",
        "financial_impact_estimate",
        "financial_impact_currency",
        "harm_flags",
        "reputational_risk",
        "jurisdictions",
        "links",
        "restricted",
        "verification_note",
        "closing_summary",
        "scenario_note",
        "atlas_techniques",
    }
)
CREATE_FIELDS = INCIDENT_FIELDS - {"verification_note", "closing_summary"}
MAX_NOTE = 20000


def _apply(incident: Incident, data: dict, allowed: frozenset) -> set[str]:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown))
        )
    changed = set()
    for name, value in data.items():
        if name == "atlas_techniques":  # a relation: written by _set_techniques once saved
            continue
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed.add(name)
    return changed


def _set_techniques(incident: Incident, techniques, actor, *, new: bool = False) -> bool:
    """Make the incident's MITRE ATLAS techniques exactly ``techniques`` (AtlasTechnique rows),
    one audited link row each. Returns whether anything changed."""
    wanted = {t.pk: t for t in techniques}
    for technique in wanted.values():
        if not technique.current and not (
            not new and incident.technique_links.filter(technique=technique).exists()
        ):
            raise ValidationFailed(
                _("%s is not in the current ATLAS release.") % technique.atlas_id,
                fields={"atlas_techniques": ["not current"]},
            )
    links = {} if new else {link.technique_id: link for link in incident.technique_links.all()}
    removed = [link for pk, link in links.items() if pk not in wanted]
    added = [t for pk, t in wanted.items() if pk not in links]
    for link in removed:
        link._history_user = actor
        link.delete()
    # The catalogue rows are known and the pair is new: one INSERT, whatever the number.
    bulk_save_audited(
        IncidentTechnique,
        [
            IncidentTechnique(incident=incident, technique=technique)
            for technique in sorted(added, key=lambda t: t.atlas_id)
        ],
        actor=actor,
    )
    return bool(removed or added)


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)


def _pin(affected: AffectedSystem, detected_at) -> None:
    """Record what was running on the system when the incident was detected."""
    deployment = deployment_in_production_at(affected.system, detected_at)
    version = deployment.model_version if deployment else None
    affected.deployment = deployment
    affected.model_version = version
    affected.artifact_digest = version.artifact_digest if version else ""
    affected.prompt_config_version = version.prompt_config_version if version else ""
    affected.training_data_version = version.training_data_version if version else ""


def _add_system(
    incident: Incident, system: AISystem, actor, *, new: bool = False
) -> AffectedSystem:
    """``new``: the incident was filed in this transaction, so it has no systems yet."""
    if not new and incident.affected_systems.filter(system=system).exists():
        raise ValidationFailed(
            _("%s is already an affected system of this incident.") % system.reference,
            fields={"system": ["already affected"]},
        )
    affected = AffectedSystem(
        incident=incident, system=system, added_by=actor if getattr(actor, "pk", None) else None
    )
    _pin(affected, incident.detected_at)
    model_save(affected, actor=actor, lookups=False)
    events.system_added_event(incident=incident, actor=actor, affected=affected)
    return affected


def _incident_create(
    *,
    actor,
    data: dict,
    systems=(),
    severity=None,
    severity_reason: str = "",
    actor_label: str = "",
    check_permission: bool = True,
) -> Incident:
    """``incident_create`` inside a transaction that is already audited (alert intake, report
    conversion, idempotent filing): the same checks, writes and events."""
    if check_permission:
        require(permissions.can_file_incident(actor))
    incident = Incident(
        reported_by=actor if getattr(actor, "pk", None) else None, reporter_label=actor_label
    )
    data = dict(data)
    data.setdefault("detected_at", timezone.now())
    _apply(incident, data, CREATE_FIELDS)
    if incident.detected_at > timezone.now() + timedelta(minutes=5):
        raise ValidationFailed(
            _("The detection time cannot be in the future."), fields={"detected_at": ["future"]}
        )
    if incident.detected_at < EARLIEST_RECORDED:
        raise ValidationFailed(
            _("The detection time is before 1970: check the year."),
            fields={"detected_at": ["too early"]},
        )
    initial = None
    if severity is not None:
        initial = _severity_change(
            incident, actor, severity, severity_reason or _("Initial assessment by the reporter.")
        )
        incident._change_reason = None  # the filing record; the reason is on the timeline
    incident.reference = allocate_reference(f"INC-{timezone.now().year}")
    # The reference was just allocated (unique by its counter) and the reporter is the actor.
    model_save(incident, actor=actor, lookups=False)
    events.incident_created_event(incident=incident, actor=actor, actor_label=actor_label)
    if data.get("atlas_techniques"):
        _set_techniques(incident, data["atlas_techniques"], actor, new=True)
    seen = set()
    for system in systems:
        if system.pk in seen:
            raise ValidationFailed(
                _("%s is already an affected system of this incident.") % system.reference,
                fields={"system": ["already affected"]},
            )
        seen.add(system.pk)
        _add_system(incident, system, actor, new=True)
    if initial is not None:
        events.severity_changed_event(incident=incident, actor=actor, **initial)
    clocks.sync_clocks(incident, actor=actor, new=True)
    hooks.incident_created(incident=incident, actor=actor)
    return incident


@audited_write
def incident_create(
    *,
    actor,
    data: dict,
    systems=(),
    severity=None,
    severity_reason: str = "",
    actor_label: str = "",
    check_permission: bool = True,
) -> Incident:
    """File an incident or near miss. Anyone with a filing role may file for any system.

    ``check_permission=False`` is for intake paths that authenticate on their own (the
    protected channel, converted by its handler). A severity given at filing is stored with
    the incident and put on its timeline after the affected systems, with its reason.
    """
    return _incident_create(
        actor=actor,
        data=data,
        systems=systems,
        severity=severity,
        severity_reason=severity_reason,
        actor_label=actor_label,
        check_permission=check_permission,
    )


@audited_write
def incident_create_idempotent(
    *, actor, key: str, request_hash: str, **kwargs
) -> tuple[Incident, bool]:
    """Create once per (user, Idempotency-Key). Returns ``(incident, replayed)``.

    The same key with the same request body returns the incident it made; with another body it
    is refused. The audit-chain lock (``audited_write``) serializes concurrent retries.
    """
    if not key or len(key) > 255:
        raise ValidationFailed(_("An Idempotency-Key is 1 to 255 characters."))
    previous = (
        IdempotencyRecord.objects.select_related("incident").filter(user=actor, key=key).first()
    )
    if previous is not None:
        if previous.request_hash != request_hash:
            raise IdempotencyConflict()
        return previous.incident, True
    incident = _incident_create(actor=actor, **kwargs)
    model_save(
        IdempotencyRecord(user=actor, key=key, request_hash=request_hash, incident=incident),
        actor=actor,
        lookups=False,  # (user, key) was looked up above, under the chain lock
    )
    return incident, False


@audited_write
def incident_update(
    *, actor, incident: Incident, data: dict, expected_version: str | None = None
) -> Incident:
    incident = _lock(incident)
    require(permissions.can_edit_incident(actor, incident))
    check_version(incident, expected_version)
    if "restricted" in data and data["restricted"] != incident.restricted:
        require(permissions.can_restrict(actor, incident))
    changed = _apply(incident, data, INCIDENT_FIELDS)
    if "atlas_techniques" in data and _set_techniques(incident, data["atlas_techniques"], actor):
        changed.add("atlas_techniques")
    if not changed:
        return incident
    model_save(incident, actor=actor, lookups=False)
    if "detected_at" in changed:
        for affected in incident.affected_systems.select_related("system"):
            _pin(affected, incident.detected_at)
            model_save(affected, actor=actor, lookups=False)
    events.incident_updated_event(incident=incident, actor=actor, fields=changed)
    if changed & clocks.CLOCK_FIELDS:
        clocks.sync_clocks(incident, actor=actor)
    hooks.facts_changed(incident=incident, actor=actor, fields=changed)
    return incident


def _severity_change(incident: Incident, actor, severity, reason: str) -> dict:
    """Check and apply a severity change to ``incident`` (not saved). Returns what its timeline
    entry says."""
    try:
        new = Severity(int(severity))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("Severity is one of 0 (P0) to 3 (P3)."), fields={"severity": ["invalid"]}
        ) from exc
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the severity is set or changed."), fields={"reason": ["required"]}
        )
    old = incident.severity
    if old == new:
        raise ValidationFailed(
            _("The incident is already %s.") % new.label, fields={"severity": ["unchanged"]}
        )
    if old is not None and new > old:
        require(permissions.can_deescalate(actor, incident))
    suggestion = rules.suggest_severity(rules.facts_of(incident))
    incident.severity = new
    incident._change_reason = history_reason(reason)
    return {"old": old, "new": int(new), "reason": reason, "suggested": int(suggestion.severity)}


def _set_severity(incident: Incident, actor, severity, reason: str) -> None:
    change = _severity_change(incident, actor, severity, reason)
    model_save(incident, actor=actor, lookups=False)
    events.severity_changed_event(incident=incident, actor=actor, **change)
    clocks.sync_clocks(incident, actor=actor, severity_changed=True)
    hooks.facts_changed(incident=incident, actor=actor, fields={"severity"})


@audited_write
def incident_set_severity(*, actor, incident: Incident, severity, reason: str) -> Incident:
    """Set or change the severity, with a reason. Escalating is always allowed to those who can
    act on the incident; de-escalating needs GRC or the risk officer."""
    incident = _lock(incident)
    require(permissions.can_change_severity(actor, incident))
    _set_severity(incident, actor, severity, reason)
    return incident


@audited_write
def incident_transition(*, actor, incident: Incident, to: str, reason: str = "") -> Incident:
    """Move the lifecycle one step, as the table in ``workflow.py`` allows."""
    incident = _lock(incident)
    reason = (reason or "").strip()
    move = workflow.LIFECYCLE.check(incident, to=to, actor=actor, reason=reason)
    source = incident.status
    incident.status = move.target
    now = timezone.now()
    if move.milestone:
        setattr(incident, move.milestone, now)
    if move.target == Status.REJECTED:
        incident.rejection_reason = reason
    if source in (Status.CLOSED, Status.RESOLVED) and move.target == Status.INVESTIGATING:
        incident.resolved_at = None
        incident.closed_at = None
    incident._change_reason = history_reason(reason)
    model_save(incident, actor=actor, lookups=False)
    events.status_changed_event(
        incident=incident, actor=actor, source=source, target=move.target, reason=reason
    )
    clocks.sync_clocks(incident, actor=actor, now=now)
    hooks.transitioned(incident=incident, actor=actor, source=source, target=move.target, now=now)
    return incident


# Milestones other modules reach (the learning loop confirms the root cause). The lifecycle
# stamps its own in ``incident_transition``; these are stamped only through the function below.
MODULE_MILESTONES = frozenset({"root_cause_confirmed_at"})


@audited_write
def incident_milestone_stamp(*, actor, incident: Incident, milestone: str, at) -> Incident:
    """Stamp (or clear, with ``at=None``) a milestone another module reached, so that module
    never writes the incident's table itself. The caller has written its own timeline entry;
    the stamp is the record's field, checked by the same rule as any edit of the record."""
    if milestone not in MODULE_MILESTONES:
        raise ValueError(f"{milestone!r} is not a milestone other modules stamp")
    incident = _lock(incident)
    require(permissions.can_manage_incident(actor, incident))
    if getattr(incident, milestone) != at:
        setattr(incident, milestone, at)
        model_save(incident, actor=actor, lookups=False)
    return incident


@audited_write
def incident_add_system(*, actor, incident: Incident, system: AISystem) -> AffectedSystem:
    incident = _lock(incident)
    require(permissions.can_add_system(actor, incident))
    affected = _add_system(incident, system, actor)
    hooks.facts_changed(incident=incident, actor=actor, fields={"affected_systems"})
    return affected


@audited_write
def participant_add(*, actor, incident: Incident, user, part: str) -> Participant:
    incident = _lock(incident)
    require(permissions.can_add_participant(actor, incident))
    if part not in ParticipantPart.values:
        raise ValidationFailed(
            _("Unknown part. Choose one of: %s.") % ", ".join(ParticipantPart.values)
        )
    if not user.is_active or not user.role_names:
        raise ValidationFailed(_("%s has no active role and cannot take part.") % user)
    if Participant.objects.filter(incident=incident, user=user, part=part).exists():
        raise ValidationFailed(_("%(user)s is already %(part)s.") % {"user": user, "part": part})
    participant = model_save(
        Participant(incident=incident, user=user, part=part), actor=actor, lookups=False
    )
    events.participant_event(incident=incident, actor=actor, participant=participant)
    return participant


@audited_write
def incident_assign_lead(*, actor, incident: Incident, lead) -> Incident:
    incident = _lock(incident)
    require(permissions.can_assign_lead(actor, incident))
    if not lead.is_active or not lead.has_role(*permissions.LEAD_ROLES):
        raise ValidationFailed(
            _("%s cannot lead incidents (needs an active working role).") % lead,
            fields={"lead": ["not eligible"]},
        )
    if incident.lead_id == lead.pk:
        return incident
    incident.lead = lead
    model_save(incident, actor=actor, lookups=False)
    clocks.assign_owner(incident, actor=actor, lead=lead)
    leads = list(
        Participant.objects.filter(incident=incident, part=ParticipantPart.LEAD).select_related(
            "user"
        )
    )
    for former in leads:
        if former.user_id == lead.pk:
            continue
        former._history_user = actor
        former.delete()
        events.participant_event(incident=incident, actor=actor, participant=former, removed=True)
    if not any(p.user_id == lead.pk for p in leads):
        participant = model_save(
            Participant(incident=incident, user=lead, part=ParticipantPart.LEAD),
            actor=actor,
            lookups=False,
        )
        events.participant_event(incident=incident, actor=actor, participant=participant)
    return incident


@audited_write
def note_add(*, actor, incident: Incident, body: str):
    require(permissions.can_add_note(actor, incident))
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("A note cannot be empty."), fields={"body": ["required"]})
    if len(body) > MAX_NOTE:
        raise ValidationFailed(
            _("A note is at most %d characters.") % MAX_NOTE, fields={"body": ["too long"]}
        )
    return events.note_added_event(incident=incident, actor=actor, body=body)


@audited_write
def notification_record(
    *,
    actor,
    incident: Incident,
    recipients: str,
    channel: str,
    summary: str,
    leadership: bool = False,
):
    """Record a notification made outside the product (a call, a page, a chat message).

    It meets the notification-chain clock, and with ``leadership`` the leadership-notice clock.
    """
    require(permissions.can_record_notification(actor, incident))
    recipients, channel, summary = (
        (recipients or "").strip(),
        (channel or "").strip(),
        (summary or "").strip(),
    )
    if not (recipients and channel):
        raise ValidationFailed(
            _("Say who was notified and how."), fields={"recipients": ["required"]}
        )
    entry = events.notification_recorded_event(
        incident=incident,
        actor=actor,
        recipients=recipients,
        channel=channel,
        summary=summary,
        data={"leadership": leadership},
    )
    clocks.notification_made(incident, actor=actor, at=entry.at, leadership=leadership)
    return entry
