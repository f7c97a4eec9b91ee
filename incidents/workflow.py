"""The incident lifecycle as a table (DESIGN section 3).

``reported -> triaged -> contained -> investigating -> remediating -> resolved -> closed``, plus
``rejected`` (not an AI incident, reason required) and reopening. A step may be skipped only with
a recorded reason. Each move names its guards; a guard returns the message that says what is
missing, or None; each move names who may make it (``incidents.permissions``).
``incidents.services.incident_transition`` is the only caller that changes a status.
"""

from django.utils.translation import gettext_lazy as _

from aims.core.workflow import Lifecycle, Move, failing_guards

from . import permissions
from .choices import ApprovalSubject, Status
from .models import Incident


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


# What other modules require before an incident closes (disclosure: a signed-off assessment;
# CAPA: a confirmed root cause). Each registers, in its AppConfig.ready(), a function
# ``(incident) -> str | None`` naming what is missing, so this table stays the one guard.
CLOSURE_CHECKS: list = []


def register_closure_check(check) -> None:
    if check not in CLOSURE_CHECKS:
        CLOSURE_CHECKS.append(check)


def guard_closure(incident: Incident, reason: str) -> str | None:
    """Guard 4: a closing summary, the verification note, scope confirmation for P0/P1, and
    whatever the other modules registered (``register_closure_check``)."""
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
    missing.extend(message for check in CLOSURE_CHECKS if (message := check(incident)))
    if missing:
        return "Closing needs " + ", ".join(missing) + "."
    return None


REJECT_HINT = _("Why is this not an AI incident?")
MANAGE = permissions.can_move_incident

LIFECYCLE = Lifecycle(
    name="incident",
    subject=_("An incident"),
    statuses=Status,
    moves=[
        Move(
            source=Status.REPORTED,
            target=Status.TRIAGED,
            label=_("Triage"),
            permission=MANAGE,
            guards=(guard_triage_facts,),
            milestone="triaged_at",
        ),
        Move(
            source=Status.REPORTED,
            target=Status.REJECTED,
            label=_("Reject"),
            permission=MANAGE,
            needs_reason=True,
            reason_hint=REJECT_HINT,
        ),
        Move(
            source=Status.TRIAGED,
            target=Status.CONTAINED,
            label=_("Mark contained"),
            permission=MANAGE,
            guards=(guard_preserve_first, guard_containment_decided),
            milestone="contained_at",
        ),
        Move(
            source=Status.TRIAGED,
            target=Status.INVESTIGATING,
            label=_("Investigate (skip containment)"),
            permission=MANAGE,
            needs_reason=True,
            reason_hint=_("Why is no containment step needed? e.g. 'no traffic'"),
        ),
        Move(
            source=Status.TRIAGED,
            target=Status.REJECTED,
            label=_("Reject"),
            permission=MANAGE,
            needs_reason=True,
            reason_hint=REJECT_HINT,
        ),
        Move(
            source=Status.CONTAINED,
            target=Status.INVESTIGATING,
            label=_("Start investigation"),
            permission=MANAGE,
        ),
        Move(
            source=Status.INVESTIGATING,
            target=Status.REMEDIATING,
            label=_("Start remediation"),
            permission=MANAGE,
        ),
        Move(
            source=Status.INVESTIGATING,
            target=Status.RESOLVED,
            label=_("Resolve (skip remediation)"),
            permission=MANAGE,
            guards=(guard_verification_note,),
            milestone="resolved_at",
            needs_reason=True,
            reason_hint=_("Why is no remediation step needed?"),
        ),
        Move(
            source=Status.REMEDIATING,
            target=Status.RESOLVED,
            label=_("Resolve"),
            permission=MANAGE,
            guards=(guard_verification_note,),
            milestone="resolved_at",
        ),
        Move(
            source=Status.RESOLVED,
            target=Status.INVESTIGATING,
            label=_("Reopen investigation"),
            permission=MANAGE,
            needs_reason=True,
            reason_hint=_("Why does it need more work?"),
        ),
        Move(
            source=Status.RESOLVED,
            target=Status.CLOSED,
            label=_("Close"),
            permission=MANAGE,
            guards=(guard_closure,),
            milestone="closed_at",
        ),
        Move(
            source=Status.CLOSED,
            target=Status.INVESTIGATING,
            label=_("Reopen"),
            permission=MANAGE,
            needs_reason=True,
            reason_hint=_("Why is the incident reopened?"),
        ),
    ],
)

MOVES = LIFECYCLE.moves
move_for = LIFECYCLE.move_for
moves_from = LIFECYCLE.moves_from
__all__ = ["LIFECYCLE", "MOVES", "Move", "failing_guards", "move_for", "moves_from"]
