"""Every write to the incident register, one function per business action.

Split by subject: ``incidents`` (filing, editing, lifecycle, severity, people, notes),
``evidence`` (evidence, waivers, containment), ``alerts`` (monitoring intake) and
``protected_channel`` (the public reporting channel).
"""

from .alerts import alertmanager_receive, generic_alert_receive
from .detection import threshold_change_for_incident
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
    incident_milestone_stamp,
    incident_set_severity,
    incident_transition,
    incident_update,
    note_add,
    notification_record,
    participant_add,
)
from .monitors import alibi_detect_receive, evidently_receive
from .protected_channel import (
    protected_report_add_information,
    protected_report_convert,
    protected_report_lookup,
    protected_report_reply,
    protected_report_set_status,
    protected_report_submit,
)
from .registry_rollback import registry_rollback_execute, registry_rollback_retry

__all__ = [
    "alertmanager_receive",
    "alibi_detect_receive",
    "evidently_receive",
    "generic_alert_receive",
    "containment_decide",
    "evidence_add",
    "evidence_open",
    "evidence_waiver_approve",
    "incident_add_system",
    "incident_assign_lead",
    "incident_create",
    "incident_create_idempotent",
    "incident_milestone_stamp",
    "incident_set_severity",
    "incident_transition",
    "incident_update",
    "note_add",
    "notification_record",
    "participant_add",
    "protected_report_add_information",
    "threshold_change_for_incident",
    "protected_report_convert",
    "protected_report_lookup",
    "protected_report_reply",
    "protected_report_set_status",
    "protected_report_submit",
    "registry_rollback_execute",
    "registry_rollback_retry",
    "rollback_guard",
]
