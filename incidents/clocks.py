"""An incident's clocks, derived from its record (DESIGN section 4).

``sync_clocks`` is called by every incident service that changes what a clock depends on; it
starts, meets, restarts or ends clocks so that they always agree with the record:

- triage: from filing until triaged (per severity; an incident with no severity yet runs on the
  P1 clock, the cautious choice);
- notify: the notification chain (AI system owner -> AI risk officer -> CISO/DPO -> legal for
  P0/P1), from the moment the severity is set until a notification is recorded; none for P3;
- investigation: from triage until remediation starts (P0-P2);
- leadership: P0/P1 only, from severity confirmation until leadership is notified;
- post-incident review: 10 business days after closure.

A severity change restarts the severity-dependent clocks that are still running, from the time
of the change, and says so on the timeline.
"""

from django.utils import timezone

from aims.clocks import services as clocks

from . import events
from .choices import IncidentClockKind as ClockKind
from .choices import Status

SEVERITY_DEPENDENT = (
    ClockKind.TRIAGE,
    ClockKind.NOTIFY,
    ClockKind.INVESTIGATION,
    ClockKind.LEADERSHIP,
)
PAST_INVESTIGATION = (Status.REMEDIATING, Status.RESOLVED, Status.CLOSED)
CAUTIOUS_SEVERITY = 1


def _system_owner(incident):
    first = incident.affected_systems.select_related("system__business_owner").first()
    return first.system.business_owner if first else None


def _label(kind, incident) -> str:
    return f"{ClockKind(kind).label} — {incident.reference}"


def sync_clocks(incident, *, actor, now=None, severity_changed: bool = False) -> list:
    """Bring the incident's clocks in line with its record. Returns clocks (re)started now."""
    now = now or timezone.now()
    started = []
    sev = incident.severity
    status = incident.status
    owner = incident.lead
    owner_role = "" if owner else "grc"

    def start(kind, started_at, severity, clock_owner=owner, role=owner_role):
        before = clocks.active_clock(incident, kind)
        clock = clocks.clock_start(
            target=incident,
            kind=kind,
            label=_label(kind, incident),
            started_at=started_at,
            actor=actor,
            owner=clock_owner,
            owner_role=role if not clock_owner else "",
            severity=severity,
            restart=severity_changed,
            reason="severity changed" if severity_changed else "",
        )
        if clock is not None and (before is None or before.pk != clock.pk):
            started.append(clock)
        return clock

    if status == Status.REJECTED:
        for kind in ClockKind.values:
            clocks.clock_cancel(target=incident, kind=kind, reason="incident rejected", actor=actor)
        return started

    # Triage.
    if incident.triaged_at:
        clocks.clock_met(
            target=incident, kind=ClockKind.TRIAGE, at=incident.triaged_at, actor=actor
        )
    elif status == Status.REPORTED:
        start(
            ClockKind.TRIAGE,
            now if severity_changed else incident.created_at,
            sev if sev is not None else CAUTIOUS_SEVERITY,
        )

    def done_at_or_above(kind) -> bool:
        """Met at this severity or a more severe one: it is not owed again. Raising the severity
        above what was notified owes a new notification."""
        return (
            clocks.clocks_of(incident)
            .filter(kind=kind, met_at__isnull=False, severity__lte=sev)
            .exists()
        )

    # Notification chain and leadership notice start when a severity is set.
    if sev is not None and status not in (Status.CLOSED,):
        system_owner = _system_owner(incident)
        if sev > 2:
            clocks.clock_cancel(
                target=incident, kind=ClockKind.NOTIFY, reason="P3: log and review", actor=actor
            )
        elif not done_at_or_above(ClockKind.NOTIFY):
            start(
                ClockKind.NOTIFY,
                now,
                sev,
                clock_owner=system_owner or owner,
                role="" if (system_owner or owner) else "risk_officer",
            )
        if sev > 1:
            clocks.clock_cancel(
                target=incident, kind=ClockKind.LEADERSHIP, reason="below P1", actor=actor
            )
        elif not done_at_or_above(ClockKind.LEADERSHIP):
            start(ClockKind.LEADERSHIP, now, sev, clock_owner=None, role="risk_officer")

    # Investigation.
    if status in PAST_INVESTIGATION:
        clocks.clock_met(target=incident, kind=ClockKind.INVESTIGATION, at=now, actor=actor)
    elif incident.triaged_at and sev is not None and sev <= 2:
        reopened = (
            clocks.clocks_of(incident)
            .filter(kind=ClockKind.INVESTIGATION, met_at__isnull=False)
            .exists()
        )
        start(
            ClockKind.INVESTIGATION,
            now if severity_changed or reopened else incident.triaged_at,
            sev,
        )
    elif sev is not None and sev > 2:
        clocks.clock_cancel(
            target=incident,
            kind=ClockKind.INVESTIGATION,
            reason="P3: no investigation clock",
            actor=actor,
        )

    # Closure ends what is still running and starts the post-incident review.
    if status == Status.CLOSED:
        for kind in SEVERITY_DEPENDENT:
            clocks.clock_cancel(target=incident, kind=kind, reason="incident closed", actor=actor)
        clocks.clock_start(
            target=incident,
            kind=ClockKind.POST_INCIDENT_REVIEW,
            label=_label(ClockKind.POST_INCIDENT_REVIEW, incident),
            started_at=incident.closed_at,
            actor=actor,
            owner=owner,
            owner_role=owner_role,
        )
    else:
        clocks.clock_cancel(
            target=incident,
            kind=ClockKind.POST_INCIDENT_REVIEW,
            reason="incident reopened",
            actor=actor,
        )

    if severity_changed and started:
        events.clocks_restarted_event(incident=incident, actor=actor, clocks=started)
    return started


def notification_made(incident, *, actor, at, leadership: bool) -> None:
    clocks.clock_met(target=incident, kind=ClockKind.NOTIFY, at=at, actor=actor)
    if leadership:
        clocks.clock_met(target=incident, kind=ClockKind.LEADERSHIP, at=at, actor=actor)


def assign_owner(incident, *, actor, lead) -> None:
    """The new lead takes over the running clocks that the lead (or GRC, for want of one) owned."""
    from aims.clocks.choices import ACTIVE
    from aims.core.services import model_save

    for clock in clocks.clocks_of(incident).filter(
        ACTIVE,
        kind__in=[ClockKind.TRIAGE, ClockKind.INVESTIGATION, ClockKind.POST_INCIDENT_REVIEW],
    ):
        clock.owner, clock.owner_role = lead, ""
        model_save(clock, actor=actor)


# --- what the clock mechanism needs to know about incidents (registered in apps.py) -------------


def resolve_role(incident, pseudo_role: str) -> list:
    if pseudo_role == "system_owner":
        return [
            a.system.business_owner
            for a in incident.affected_systems.select_related("system__business_owner")
        ]
    if pseudo_role == "incident_lead":
        return [incident.lead] if incident.lead_id else []
    return []


def describe(incident) -> tuple[str, str]:
    sev = f"P{incident.severity} " if incident.severity is not None else ""
    return f"{sev}{incident.reference} {incident.title}", incident.get_absolute_url()


def record_delivery(incident, delivery, attempt) -> None:
    events.delivery_event(incident=incident, delivery=delivery, attempt=attempt)
