"""HTML pages of the incident register, mounted at ``/incidents/``.

Thin on purpose: reads start from ``incidents.selectors`` (so the access rule lives in one
place), every write is one call to ``incidents.services`` (which re-check permission, validate,
enforce the lifecycle's guards and write the timeline), and a service's refusal is shown to the
person in the words the API would use. ``incidents.permissions`` decides which forms to offer,
with the same rules the services enforce.
"""

from .actions import (
    evidence_add,
    incident_containment,
    incident_lead,
    incident_note,
    incident_notification,
    incident_participant,
    incident_registry_rollback_retry,
    incident_registry_rollbacks,
    incident_severity,
    incident_system,
    incident_transition,
    incident_waiver,
)
from .detection import incident_threshold_change
from .filing import incident_assist, incident_create, incident_edit
from .incident_page import incident_detail
from .register import register

__all__ = [
    "evidence_add",
    "incident_assist",
    "incident_containment",
    "incident_create",
    "incident_detail",
    "incident_edit",
    "incident_lead",
    "incident_note",
    "incident_notification",
    "incident_participant",
    "incident_registry_rollbacks",
    "incident_registry_rollback_retry",
    "incident_severity",
    "incident_system",
    "incident_threshold_change",
    "incident_transition",
    "incident_waiver",
    "register",
]
