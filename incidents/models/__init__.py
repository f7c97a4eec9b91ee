"""The incident register (ISO/IEC 42001 clause 10.2, Annex A.3.3, A.8.4).

An incident's record is the spine of its case file: what happened, which systems and model
versions, how bad and for whom, every move of its lifecycle, the evidence preserved before
anyone remediated, and the decisions and approvals along the way. Workflow lives in
``workflow.py`` and ``services/``; these models hold state and constraints only.

Modules: ``register`` (the incident and what hangs on it directly), ``evidence`` (evidence,
approvals, containment, registry rollbacks), ``detection`` (alerts, threshold changes, paging
webhooks), ``protected`` (the protected channel), ``atlas`` (MITRE ATLAS).
"""

from .atlas import AtlasTactic, AtlasTechnique, IncidentTechnique
from .detection import AlertLink, DetectionThresholdChange, PagerWebhookEvent
from .evidence import (
    ROLLBACK_STALLED_AFTER,
    Approval,
    ContainmentDecision,
    Evidence,
    EvidenceAccess,
    RegistryRollback,
    evidence_path,
    evidence_storage,
)
from .protected import ProtectedReport, ProtectedReportMessage
from .register import USER, AffectedSystem, IdempotencyRecord, Incident, Participant, TimelineEntry

__all__ = [
    "AffectedSystem",
    "AlertLink",
    "Approval",
    "AtlasTactic",
    "AtlasTechnique",
    "ContainmentDecision",
    "DetectionThresholdChange",
    "Evidence",
    "EvidenceAccess",
    "IdempotencyRecord",
    "Incident",
    "IncidentTechnique",
    "PagerWebhookEvent",
    "Participant",
    "ProtectedReport",
    "ProtectedReportMessage",
    "ROLLBACK_STALLED_AFTER",
    "RegistryRollback",
    "TimelineEntry",
    "USER",
    "evidence_path",
    "evidence_storage",
]
