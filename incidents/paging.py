"""An incident's pages to the on-call tools (PagerDuty, Opsgenie), from its own lifecycle.

Independent of the clocks (whose escalation steps page the people they reach on their own):

- trigger: a P0 or P1 incident is filed, or its severity is set or changed to P0/P1 while it
  is still reported or triaged (a second trigger with the same key updates the open page);
- acknowledge: the incident is triaged — someone in the register has taken it;
- resolve: it leaves triage for containment or beyond, or is rejected — the on-call's
  emergency is over (the register's own lifecycle goes on). An acknowledge or resolve goes
  only to the services a trigger went to, so a P2 incident pages nobody at any step.

The key (PagerDuty ``dedup_key``, Opsgenie ``alias``) is the incident's reference. Near misses
page like incidents (their severity says how urgent); exercises page only the services an
administrator marked for exercises, with the ``[EXERCISE]`` mark in the summary.
"""

from aims.notify.choices import PageAction
from aims.notify.paging import page

from . import events
from .choices import Kind, Severity, Status
from .clocks import EXERCISE_MARK

PAGED_SEVERITIES = (Severity.P0, Severity.P1)
BEFORE_CONTAINMENT = (Status.REPORTED, Status.TRIAGED)


def facts(incident) -> dict:
    """What a page says about the incident."""
    systems = [a.system for a in incident.affected_systems.select_related("system")]
    exercise = incident.kind == Kind.EXERCISE
    mark = f"{EXERCISE_MARK} " if exercise else ""
    sev = f"P{incident.severity} " if incident.severity is not None else ""
    refs = ", ".join(s.reference for s in systems)
    return {
        "dedup_key": incident.reference,
        "summary": f"{mark}{sev}{incident.reference} {incident.title}",
        "severity": incident.severity,
        "source": ", ".join(f"{s.reference} {s.name}" for s in systems) or "AIMS Register",
        "timestamp": incident.detected_at.isoformat() if incident.detected_at else "",
        "component": refs,
        "group": str(incident.get_detection_source_display()) if incident.detection_source else "",
        "class": ", ".join(incident.types),
        "description": incident.description,
        "tags": [f"P{incident.severity}" if incident.severity is not None else "", incident.kind],
        "details": {
            "reference": incident.reference,
            "kind": str(incident.get_kind_display()),
            "severity": str(Severity(incident.severity).label)
            if incident.severity is not None
            else "",
            "status": str(incident.get_status_display()),
            "systems": refs,
            "detected_at": incident.detected_at.isoformat() if incident.detected_at else "",
        },
        "links": [
            (incident.get_absolute_url(), f"{incident.reference} in AIMS Register"),
        ],
        "exercise": exercise,
    }


def record(incident, event) -> None:
    events.page_attempt_event(incident=incident, event=event)


def _page(incident, action, cause, **kwargs):
    return page(
        target=incident,
        action=action,
        cause=cause,
        dedup_key=incident.reference,
        exercise=incident.kind == Kind.EXERCISE,
        **kwargs,
    )


def _pageable(incident) -> bool:
    return incident.severity in PAGED_SEVERITIES and incident.status in BEFORE_CONTAINMENT


def on_created(*, incident, actor) -> None:
    if _pageable(incident):
        _page(incident, PageAction.TRIGGER, "incident filed")


def on_facts_changed(*, incident, actor, fields) -> None:
    if "severity" in fields and _pageable(incident):
        _page(incident, PageAction.TRIGGER, "severity set")


def on_transition(*, incident, actor, source, target, now) -> None:
    if source not in BEFORE_CONTAINMENT:
        return
    if source == Status.REPORTED and target == Status.TRIAGED:
        _page(incident, PageAction.ACKNOWLEDGE, "triaged", now=now)
    elif target not in BEFORE_CONTAINMENT:
        _page(
            incident,
            PageAction.RESOLVE,
            str(target),
            now=now,
            facts={"note": f"{incident.reference} is {str(Status(target).label).lower()}."},
        )
