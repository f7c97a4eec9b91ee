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
# What the derivation below reads of the incident. A change to any other field (a title, a
# description, the impact figures) leaves every clock as it is, so services skip the sync.
CLOCK_FIELDS = frozenset(
    {"severity", "status", "lead", "triaged_at", "closed_at", "created_at", "reference"}
)
# The clocks the incident lead owns (the notify chain belongs to the system owner first, the
# leadership notice to the risk officer).
LEAD_OWNED = (ClockKind.TRIAGE, ClockKind.INVESTIGATION, ClockKind.POST_INCIDENT_REVIEW)


def _system_owner(incident):
    first = incident.affected_systems.select_related("system__business_owner").first()
    return first.system.business_owner if first else None


EXERCISE_MARK = "[EXERCISE]"


def _label(kind, incident) -> str:
    """The clock's name; an exercise's clocks (and so every reminder and escalation about
    them, e-mail subjects included) carry the exercise mark."""
    mark = f"{EXERCISE_MARK} " if incident.kind == "exercise" else ""
    return f"{mark}{ClockKind(kind).label} — {incident.reference}"


def sync_clocks(
    incident, *, actor, now=None, severity_changed: bool = False, new: bool = False
) -> list:
    """Bring the incident's clocks in line with its record. Returns clocks (re)started now.

    The incident's clocks are read once and written together at the end (one statement for the
    changed ones, one for the new ones); ``new`` says the incident was filed in this
    transaction, so it has none yet.
    """
    now = now or timezone.now()
    book = clocks.record_clocks(incident, known_empty=new, batched=True)
    started = []
    sev = incident.severity
    status = incident.status
    owner = incident.lead
    owner_role = "" if owner else "grc"

    def start(kind, started_at, severity, clock_owner=owner, role=owner_role):
        before = book.active(kind)
        clock = book.start(
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
            book.cancel(kind=kind, reason="incident rejected", actor=actor)
        book.flush()
        return started

    # Triage.
    if incident.triaged_at:
        book.meet(kind=ClockKind.TRIAGE, at=incident.triaged_at, actor=actor)
    elif status == Status.REPORTED:
        start(
            ClockKind.TRIAGE,
            now if severity_changed else incident.created_at,
            sev if sev is not None else CAUTIOUS_SEVERITY,
        )

    # Notification chain and leadership notice start when a severity is set. Met at this
    # severity or a more severe one, they are not owed again; raising the severity above what
    # was notified owes a new notification.
    if sev is not None and status not in (Status.CLOSED,):
        if sev > 2:
            book.cancel(kind=ClockKind.NOTIFY, reason="P3: log and review", actor=actor)
        elif not book.met(ClockKind.NOTIFY, severity_at_most=sev) and (
            severity_changed or book.active(ClockKind.NOTIFY) is None
        ):
            system_owner = _system_owner(incident)
            start(
                ClockKind.NOTIFY,
                now,
                sev,
                clock_owner=system_owner or owner,
                role="" if (system_owner or owner) else "risk_officer",
            )
        if sev > 1:
            book.cancel(kind=ClockKind.LEADERSHIP, reason="below P1", actor=actor)
        elif not book.met(ClockKind.LEADERSHIP, severity_at_most=sev):
            start(ClockKind.LEADERSHIP, now, sev, clock_owner=None, role="risk_officer")

    # Investigation.
    if status in PAST_INVESTIGATION:
        book.meet(kind=ClockKind.INVESTIGATION, at=now, actor=actor)
    elif incident.triaged_at and sev is not None and sev <= 2:
        reopened = book.met(ClockKind.INVESTIGATION)
        start(
            ClockKind.INVESTIGATION,
            now if severity_changed or reopened else incident.triaged_at,
            sev,
        )
    elif sev is not None and sev > 2:
        book.cancel(kind=ClockKind.INVESTIGATION, reason="P3: no investigation clock", actor=actor)

    # Closure ends what is still running and starts the post-incident review.
    if status == Status.CLOSED:
        for kind in SEVERITY_DEPENDENT:
            book.cancel(kind=kind, reason="incident closed", actor=actor)
        book.start(
            kind=ClockKind.POST_INCIDENT_REVIEW,
            label=_label(ClockKind.POST_INCIDENT_REVIEW, incident),
            started_at=incident.closed_at,
            actor=actor,
            owner=owner,
            owner_role=owner_role,
        )
    else:
        book.cancel(kind=ClockKind.POST_INCIDENT_REVIEW, reason="incident reopened", actor=actor)

    book.flush()
    if severity_changed and started:
        events.clocks_restarted_event(incident=incident, actor=actor, clocks=started)
    return started


def notification_made(incident, *, actor, at, leadership: bool) -> None:
    book = clocks.record_clocks(incident)
    book.meet(kind=ClockKind.NOTIFY, at=at, actor=actor)
    if leadership:
        book.meet(kind=ClockKind.LEADERSHIP, at=at, actor=actor)


def assign_owner(incident, *, actor, lead) -> None:
    """The new lead takes over the running clocks that the lead (or GRC, for want of one) owned."""
    clocks.clocks_reassign(target=incident, kinds=LEAD_OWNED, owner=lead, actor=actor)


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
    mark = f"{EXERCISE_MARK} " if incident.kind == "exercise" else ""
    return f"{mark}{sev}{incident.reference} {incident.title}", incident.get_absolute_url()


def card(incident) -> dict:
    systems = ", ".join(a.system.name for a in incident.affected_systems.select_related("system"))
    return {
        "reference": incident.reference,
        "severity": f"P{incident.severity}" if incident.severity is not None else "",
        "status": incident.get_status_display(),
        "system": systems,
    }


def record_delivery(incident, delivery, attempt) -> None:
    events.delivery_event(incident=incident, delivery=delivery, attempt=attempt)
