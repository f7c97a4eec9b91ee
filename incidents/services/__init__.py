"""Every write to the incident register, one function per business action.

Split by subject: ``incidents`` (filing, editing, lifecycle, severity, people, notes),
``evidence`` (evidence, waivers, containment), ``alerts`` (monitoring intake) and
``protected_channel`` (the public reporting channel).
"""

from .evidence import (
    containment_decide,
    evidence_add,
    evidence_open,
    evidence_waiver_approve,
    rollback_guard,
)
from .incidents import (
    incident_add_system,
    incident_assign_lead,
    incident_create,
    incident_create_idempotent,
    incident_set_severity,
    incident_transition,
    incident_update,
    note_add,
    notification_record,
    participant_add,
)

__all__ = [
    "containment_decide",
    "evidence_add",
    "evidence_open",
    "evidence_waiver_approve",
    "incident_add_system",
    "incident_assign_lead",
    "incident_create",
    "incident_create_idempotent",
    "incident_set_severity",
    "incident_transition",
    "incident_update",
    "note_add",
    "notification_record",
    "participant_add",
    "rollback_guard",
]
