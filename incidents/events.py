"""Typed writers of timeline entries: the only code that adds to an incident's timeline."""

from django.utils import timezone

from aims.core.services import model_save

from .choices import Severity, Status, TimelineKind
from .models import TimelineEntry


def _entry(
    incident, kind, summary, *, actor=None, actor_label="", data=None, at=None
) -> TimelineEntry:
    entry = TimelineEntry(
        incident=incident,
        kind=kind,
        summary=summary,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        data=data or {},
        at=at or timezone.now(),
    )
    # The incident and the actor are rows in hand: no look-ups to validate them.
    return model_save(entry, actor=actor, lookups=False)


def incident_created_event(*, incident, actor, actor_label=""):
    return _entry(
        incident,
        TimelineKind.CREATED,
        f"Reported: {incident.title}",
        actor=actor,
        actor_label=actor_label,
        data={"kind": incident.kind, "detection_source": incident.detection_source},
    )


def status_changed_event(*, incident, actor, source, target, reason=""):
    summary = f"Status {Status(source).label} → {Status(target).label}"
    if reason:
        summary += f": {reason}"
    return _entry(
        incident,
        TimelineKind.STATUS,
        summary,
        actor=actor,
        data={"from": source, "to": target, "reason": reason},
    )


def severity_changed_event(*, incident, actor, old, new, reason, suggested=None):
    old_label = Severity(old).label if old is not None else "none"
    summary = f"Severity {old_label} → {Severity(new).label}: {reason}"
    return _entry(
        incident,
        TimelineKind.SEVERITY,
        summary,
        actor=actor,
        data={"from": old, "to": new, "reason": reason, "suggested": suggested},
    )


def incident_updated_event(*, incident, actor, fields):
    return _entry(
        incident,
        TimelineKind.UPDATE,
        "Updated " + ", ".join(sorted(fields)),
        actor=actor,
        data={"fields": sorted(fields)},
    )


def system_added_event(*, incident, actor, affected):
    version = (
        affected.model_version.version_label
        if affected.model_version_id
        else "no version in production"
    )
    return _entry(
        incident,
        TimelineKind.SYSTEM,
        f"Affected system {affected.system} at detection: {version}",
        actor=actor,
        data={
            "system": affected.system.reference,
            "model_version": version,
            "artifact_digest": affected.artifact_digest,
        },
    )


def participant_event(*, incident, actor, participant, removed=False):
    verb = "removed as" if removed else "joined as"
    return _entry(
        incident,
        TimelineKind.PARTICIPANT,
        f"{participant.user} {verb} {participant.get_part_display()}",
        actor=actor,
        data={"user": participant.user_id, "part": participant.part, "removed": removed},
    )


def evidence_added_event(*, incident, actor, evidence):
    return _entry(
        incident,
        TimelineKind.EVIDENCE,
        f"Evidence preserved: {evidence.original_name} ({evidence.get_kind_display()}, "
        f"SHA-256 {evidence.sha256[:16]}…)",
        actor=actor,
        data={"evidence": evidence.pk, "sha256": evidence.sha256, "size": evidence.size},
    )


def approval_event(*, incident, actor, approval):
    return _entry(
        incident,
        TimelineKind.APPROVAL,
        f"Approved — {approval.get_subject_display()}: {approval.comment}",
        actor=actor,
        data={"approval": approval.pk, "subject": approval.subject},
    )


def containment_decided_event(*, incident, actor, decision):
    return _entry(
        incident,
        TimelineKind.DECISION,
        f"Containment decision — {decision.get_option_display()}: {decision.rationale}",
        actor=actor,
        data={"decision": decision.pk, "option": decision.option},
    )


def note_added_event(*, incident, actor, body, actor_label=""):
    return _entry(incident, TimelineKind.NOTE, body, actor=actor, actor_label=actor_label)


def notification_recorded_event(*, incident, actor, recipients, channel, summary, data=None):
    return _entry(
        incident,
        TimelineKind.NOTIFICATION,
        f"Notified {recipients} by {channel}: {summary}",
        actor=actor,
        data={"recipients": recipients, "channel": channel, **(data or {})},
    )


def alert_event(*, incident, source_label, summary, data):
    return _entry(incident, TimelineKind.ALERT, summary, actor_label=source_label, data=data)


def protected_report_event(*, incident, actor, summary):
    return _entry(incident, TimelineKind.REPORT, summary, actor=actor)


def clocks_restarted_event(*, incident, actor, clocks):
    parts = [f"{c.get_kind_display()} due {c.due_at:%Y-%m-%d %H:%M %Z}" for c in clocks]
    return _entry(
        incident,
        TimelineKind.UPDATE,
        "Clocks restarted after the severity change: " + "; ".join(parts),
        actor=actor,
        data={"clocks": [c.pk for c in clocks]},
    )


def delivery_event(*, incident, delivery, attempt):
    """Every delivery attempt of a reminder or escalation, and its result."""
    target = (
        attempt.endpoint.name
        if attempt.endpoint_id and attempt.endpoint
        else attempt.get_channel_display()
    )
    result = attempt.get_status_display().lower()
    if attempt.last_error:
        result += f" ({attempt.last_error})"
    summary = f"{delivery.kind.capitalize()} to {delivery.recipient} by {target}: {result} — {delivery.title}"
    return _entry(
        incident,
        TimelineKind.DELIVERY,
        summary,
        actor_label="AIMS Register",
        data={
            "delivery": delivery.pk,
            "attempt": attempt.pk,
            "channel": attempt.channel,
            "status": attempt.status,
            "try": attempt.tries,
        },
    )


def module_event(*, incident, actor, kind, summary, data=None):
    """An entry written for another module (disclosure, CAPA) through its own typed events:
    the incident's timeline stays the one spine of the case file, written only here."""
    if kind not in TimelineKind.values:
        raise ValueError(f"Unknown timeline kind {kind!r}")
    return _entry(incident, kind, summary, actor=actor, data=data)


def threshold_changed_event(*, incident, actor, change):
    """A detection threshold changed because of the incident (ISO/IEC 42001 A.6.2.6)."""
    before = (
        f"{change.old_comparison} {change.old_threshold.normalize()}"
        if change.old_threshold is not None
        else "new rule"
    )
    after = f"{change.new_comparison} {change.new_threshold.normalize()}"
    return _entry(
        incident,
        TimelineKind.DETECTION,
        f"Detection threshold of {change.metric} on "
        f"{change.monitoring_rule.system.reference}: {before} → {after}. {change.reason}",
        actor=actor,
        data={"monitoring_rule": change.monitoring_rule_id, "threshold_change": change.pk},
        at=change.changed_at,
    )


def page_attempt_event(*, incident, event):
    """Every attempt of a page (trigger, acknowledge, resolve) and its result; the key is
    never in a page event's body, so nothing secret reaches the timeline."""
    result = event.get_status_display().lower()
    if event.last_error:
        result += f" ({event.last_error})"
    if event.status == "pending" and event.next_try_at:
        result += f", next try {event.next_try_at:%Y-%m-%d %H:%M %Z}"
    service = event.service
    summary = (
        f"Page {event.get_action_display().lower()} to {service.name} "
        f"({service.vendor_name}): {result}"
    )
    return _entry(
        incident,
        TimelineKind.PAGE,
        summary,
        actor_label="AIMS Register",
        data={
            "page_event": event.pk,
            "service": service.pk,
            "vendor": service.vendor,
            "action": event.action,
            "dedup_key": event.dedup_key,
            "status": event.status,
            "try": event.tries,
            "cause": event.cause,
            "answer": {k: v for k, v in event.response.items() if k in ("dedup_key", "requestId")},
        },
    )


def pager_webhook_event(*, incident, event_type, agent, data):
    """What the on-call tool reported about its incident (PagerDuty webhook v3)."""
    verb = {
        "incident.acknowledged": "acknowledged",
        "incident.unacknowledged": "unacknowledged",
        "incident.resolved": "resolved",
        "incident.reassigned": "reassigned",
        "incident.escalated": "escalated",
        "incident.delegated": "delegated",
        "incident.reopened": "reopened",
        "incident.triggered": "triggered",
    }.get(event_type, event_type)
    who = f" by {agent}" if agent else ""
    return _entry(
        incident,
        TimelineKind.PAGE,
        f"PagerDuty: page {verb}{who}",
        actor_label=f"PagerDuty{who}"[:120],
        data=data,
        at=None,
    )


def registry_rollback_requested_event(*, incident, actor, rollback, link):
    return _entry(
        incident,
        TimelineKind.REGISTRY,
        f"Rollback requested in MLflow: move @{link.production_alias} of {link.model_name} to "
        f"version {rollback.to_version.registry_version} ({rollback.to_version.version_label})",
        actor=actor,
        data={"rollback": rollback.pk, "to_version": rollback.to_version_id},
    )


def registry_rollback_moved_event(*, incident, rollback, link):
    deployment = rollback.deployment
    return _entry(
        incident,
        TimelineKind.REGISTRY,
        f"Rolled back in MLflow: @{link.production_alias} of {link.model_name} reads back as "
        f"version {rollback.to_version.registry_version}; recorded in the change log as "
        f"{deployment.change_reference}",
        actor_label="AIMS Register",
        data={"rollback": rollback.pk, "deployment": deployment.pk, "try": rollback.tries},
    )


def registry_rollback_failed_event(*, incident, rollback, retrying: bool):
    outcome = "will retry" if retrying else "the change log is unchanged; retry from the incident"
    return _entry(
        incident,
        TimelineKind.REGISTRY,
        f"Rollback in MLflow failed (try {rollback.tries}): {rollback.error_message} — {outcome}",
        actor_label="AIMS Register",
        data={"rollback": rollback.pk, "try": rollback.tries, "retrying": retrying},
    )


def registry_rollback_retried_event(*, incident, actor, rollback):
    return _entry(
        incident,
        TimelineKind.REGISTRY,
        f"Rollback in MLflow asked again after: {rollback.error_message}",
        actor=actor,
        data={"rollback": rollback.pk},
    )
