"""The incident lifecycle as a table (DESIGN section 3).

``reported -> triaged -> contained -> investigating -> remediating -> resolved -> closed``, plus
``rejected`` (not an AI incident, reason required) and reopening. A step may be skipped only with
a recorded reason. Each move names its guards; a guard returns the message that says what is
missing, or None. ``incidents.services.incident_transition`` is the only caller.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .choices import ApprovalSubject, Status
from .models import Incident

Guard = Callable[[Incident, str], str | None]


def has_preserved_evidence(incident: Incident) -> bool:
    return (
        incident.evidence.exists()
        or incident.approvals.filter(subject=ApprovalSubject.EVIDENCE_WAIVER).exists()
    )


def guard_preserve_first(incident: Incident, reason: str) -> str | None:
    """Guard 1: evidence before remediation, or a waiver approved by the AI risk officer."""
    if has_preserved_evidence(incident):
        return None
    return (
        "Preserve evidence first: upload at least one evidence item (logs, sample inputs and outputs, "
        "model configuration), or have the AI risk officer approve a waiver with a reason."
    )


def guard_containment_decided(incident: Incident, reason: str) -> str | None:
    if incident.containment_decisions.exists():
        return None
    return "Record the containment decision first (option A reroute, option B pause, or none needed) with its rationale."


def guard_triage_facts(incident: Incident, reason: str) -> str | None:
    """Guard 2: severity, at least one affected system, and a detection source."""
    missing = []
    if incident.severity is None:
        missing.append("a severity")
    if not incident.affected_systems.exists():
        missing.append("at least one affected AI system")
    if not incident.detection_source:
        missing.append("a detection source")
    if missing:
        return "Triage needs " + ", ".join(missing) + "."
    return None


def guard_verification_note(incident: Incident, reason: str) -> str | None:
    """Guard 3: the fix was tested on the failing input types."""
    if incident.verification_note.strip():
        return None
    return "Resolving needs a verification note: how the fix was tested on the failing input types."


def guard_closure(incident: Incident, reason: str) -> str | None:
    """Guard 4, as far as the modules that exist can check it.

    Root cause, disclosure assessment and corrective actions join this guard when the CAPA and
    disclosure modules arrive; until then closing needs a closing summary and the verification
    note, and scope confirmation for P0/P1.
    """
    missing = []
    if not incident.closing_summary.strip():
        missing.append("a closing summary")
    if not incident.verification_note.strip():
        missing.append("a verification note")
    if (
        incident.severity is not None
        and incident.severity <= 1
        and incident.individuals_affected_confirmed is None
    ):
        missing.append(
            "scope confirmation (the confirmed count of individuals affected) for a P0/P1 incident"
        )
    if missing:
        return "Closing needs " + ", ".join(missing) + "."
    return None


@dataclass(frozen=True)
class Move:
    source: Status
    target: Status
    label: str
    guards: tuple[Guard, ...] = ()
    milestone: str | None = None
    needs_reason: bool = False
    reason_hint: str = ""


MOVES: tuple[Move, ...] = (
    Move(Status.REPORTED, Status.TRIAGED, "Triage", (guard_triage_facts,), "triaged_at"),
    Move(
        Status.REPORTED,
        Status.REJECTED,
        "Reject",
        (),
        None,
        True,
        "Why is this not an AI incident?",
    ),
    Move(
        Status.TRIAGED,
        Status.CONTAINED,
        "Mark contained",
        (guard_preserve_first, guard_containment_decided),
        "contained_at",
    ),
    Move(
        Status.TRIAGED,
        Status.INVESTIGATING,
        "Investigate (skip containment)",
        (),
        None,
        True,
        "Why is no containment step needed? e.g. 'no traffic'",
    ),
    Move(
        Status.TRIAGED, Status.REJECTED, "Reject", (), None, True, "Why is this not an AI incident?"
    ),
    Move(Status.CONTAINED, Status.INVESTIGATING, "Start investigation"),
    Move(Status.INVESTIGATING, Status.REMEDIATING, "Start remediation"),
    Move(
        Status.INVESTIGATING,
        Status.RESOLVED,
        "Resolve (skip remediation)",
        (guard_verification_note,),
        "resolved_at",
        True,
        "Why is no remediation step needed?",
    ),
    Move(Status.REMEDIATING, Status.RESOLVED, "Resolve", (guard_verification_note,), "resolved_at"),
    Move(
        Status.RESOLVED,
        Status.INVESTIGATING,
        "Reopen investigation",
        (),
        None,
        True,
        "Why does it need more work?",
    ),
    Move(Status.RESOLVED, Status.CLOSED, "Close", (guard_closure,), "closed_at"),
    Move(
        Status.CLOSED,
        Status.INVESTIGATING,
        "Reopen",
        (),
        None,
        True,
        "Why is the incident reopened?",
    ),
)

_BY_PAIR = {(m.source, m.target): m for m in MOVES}


def move_for(source: str, target: str) -> Move | None:
    return _BY_PAIR.get((Status(source), Status(target))) if target in Status.values else None


def moves_from(source: str) -> list[Move]:
    return [m for m in MOVES if m.source == source]


def failing_guards(move: Move, incident: Incident, reason: str = "") -> list[str]:
    return [message for guard in move.guards if (message := guard(incident, reason))]
