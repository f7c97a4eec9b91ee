"""What other modules do when an incident's facts change, without the incident services
importing them: a module registers a listener in its AppConfig.ready() (disclosure re-proposes
a signed-off assessment and reopens it when its facts changed). Listeners run inside the
service's transaction, after its own writes, and receive the changed field names.

Transition listeners (``register_transition_listener``) are told of every lifecycle move, in
the transition's transaction after the incident is saved (the learning loop opens the
post-incident review when an incident closes)."""

from collections.abc import Callable

# Fields of the incident other modules read as facts (the disclosure rules).
FACT_FIELDS = frozenset(
    {"kind", "harm_flags", "jurisdictions", "detected_at", "severity", "affected_systems"}
)

_LISTENERS: list[Callable] = []


def register_change_listener(listener: Callable) -> None:
    """``listener(*, incident, actor, fields)`` — called when any of ``FACT_FIELDS`` changed."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def facts_changed(*, incident, actor, fields) -> None:
    changed = set(fields) & FACT_FIELDS
    if not changed:
        return
    for listener in _LISTENERS:
        listener(incident=incident, actor=actor, fields=sorted(changed))


_CREATE_LISTENERS: list[Callable] = []


def register_create_listener(listener: Callable) -> None:
    """``listener(*, incident, actor)`` — called once a new incident is filed, with its affected
    systems and its initial severity (the risk module marks the impact assessment of a P0/P1
    incident's systems due for review)."""
    if listener not in _CREATE_LISTENERS:
        _CREATE_LISTENERS.append(listener)


def incident_created(*, incident, actor) -> None:
    for listener in _CREATE_LISTENERS:
        listener(incident=incident, actor=actor)


_TRANSITION_LISTENERS: list[Callable] = []


def register_transition_listener(listener: Callable) -> None:
    """``listener(*, incident, actor, source, target, now)`` — called after every lifecycle
    move, inside the transition's transaction (an error rolls the move back)."""
    if listener not in _TRANSITION_LISTENERS:
        _TRANSITION_LISTENERS.append(listener)


def transitioned(*, incident, actor, source, target, now) -> None:
    for listener in _TRANSITION_LISTENERS:
        listener(incident=incident, actor=actor, source=source, target=target, now=now)
