"""Incident register serializers.

Read serializers (``read``) show the record (a light one for the register's rows, a full one for
the incident page); write serializers (``write``) only check the shape of a request. What may be
done, and the rules behind it, are decided by ``incidents.services``: status is never writable
here, it moves only through the transition action.
"""

from .errors import ErrorSerializer
from .evidence import EvidencePeriodSerializer, EvidenceSerializer, EvidenceUploadSerializer
from .fields import (
    EvidenceKindField,
    LinkSerializer,
    SeverityField,
    SystemRefField,
    TargetStatusField,
)
from .read import (
    AffectedSystemSerializer,
    AllowedMoveSerializer,
    ApprovalSerializer,
    ChecklistItemSerializer,
    ContainmentDecisionSerializer,
    IncidentBriefSerializer,
    IncidentRowSerializer,
    IncidentSerializer,
    MilestonesSerializer,
    ParticipantSerializer,
    RegistryRollbackSerializer,
    SeveritySuggestionSerializer,
    SystemRefSerializer,
)
from .timeline import RecentChangesSerializer, TimelineEntrySerializer
from .write import (
    AddSystemSerializer,
    ContainmentSerializer,
    IncidentCreateSerializer,
    IncidentUpdateSerializer,
    LeadSerializer,
    NoteSerializer,
    NotificationRecordSerializer,
    ParticipantAddSerializer,
    SeverityChangeSerializer,
    SimilarQuerySerializer,
    TransitionSerializer,
    WaiverSerializer,
)

__all__ = [
    "RegistryRollbackSerializer",
    "AddSystemSerializer",
    "AffectedSystemSerializer",
    "AllowedMoveSerializer",
    "ApprovalSerializer",
    "ChecklistItemSerializer",
    "ContainmentDecisionSerializer",
    "ContainmentSerializer",
    "ErrorSerializer",
    "EvidenceKindField",
    "EvidencePeriodSerializer",
    "EvidenceSerializer",
    "EvidenceUploadSerializer",
    "IncidentBriefSerializer",
    "IncidentCreateSerializer",
    "IncidentRowSerializer",
    "IncidentSerializer",
    "IncidentUpdateSerializer",
    "LeadSerializer",
    "LinkSerializer",
    "MilestonesSerializer",
    "NoteSerializer",
    "NotificationRecordSerializer",
    "ParticipantAddSerializer",
    "ParticipantSerializer",
    "RecentChangesSerializer",
    "SeverityChangeSerializer",
    "SeverityField",
    "SimilarQuerySerializer",
    "SeveritySuggestionSerializer",
    "SystemRefField",
    "SystemRefSerializer",
    "TargetStatusField",
    "TimelineEntrySerializer",
    "TransitionSerializer",
    "WaiverSerializer",
]
