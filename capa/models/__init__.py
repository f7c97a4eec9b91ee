"""Tables of the learning loop, by subject: ``investigation`` (root cause, scope, remediation
plan and recurrence of one incident) and ``actions`` (CAPA records, effectiveness checks, closure
evidence, audit findings, the "no CAPA needed" decision)."""

from .actions import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    EffectivenessCheck,
    Finding,
    NoCapaDecision,
    capa_evidence_path,
    capa_evidence_storage,
)
from .investigation import (
    Diagnostic,
    Recurrence,
    RecurrencePolicy,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)
from .management_review import (
    ManagementReview,
    ManagementReviewAction,
    ManagementReviewAttendee,
    ManagementReviewIncident,
)
from .post_incident import PostIncidentReview, ReviewAction

__all__ = [
    "ActionEvidence",
    "CapaIncidentLink",
    "CorrectiveAction",
    "Diagnostic",
    "EffectivenessCheck",
    "Finding",
    "ManagementReview",
    "ManagementReviewAction",
    "ManagementReviewAttendee",
    "ManagementReviewIncident",
    "NoCapaDecision",
    "PostIncidentReview",
    "Recurrence",
    "RecurrencePolicy",
    "RemediationItem",
    "RemediationPlan",
    "ReviewAction",
    "RootCause",
    "RootCauseEvidence",
    "ScopeConfirmation",
    "Why",
    "capa_evidence_path",
    "capa_evidence_storage",
]
