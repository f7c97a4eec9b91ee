"""The risk app's models, by subject (DESIGN section 2, "risk")."""

from .controls import ApplicabilityStatement, Control, EvidenceLink
from .documents import Document, DocumentVersion
from .impact import ImpactAssessment, ImpactReviewFlag, IncidentRiskReview
from .methodology import RiskMethodology
from .register import (
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskEntry,
    RiskIncidentLink,
    RiskSystem,
    RiskTag,
    RiskTechnique,
)
from .retention import LegalHold, PurgeTombstone, RetentionRule

__all__ = [
    "ApplicabilityStatement",
    "Control",
    "Document",
    "DocumentVersion",
    "EvidenceLink",
    "ImpactAssessment",
    "ImpactReviewFlag",
    "IncidentRiskReview",
    "LegalHold",
    "PurgeTombstone",
    "RetentionRule",
    "Risk",
    "RiskAcceptance",
    "RiskControl",
    "RiskEntry",
    "RiskIncidentLink",
    "RiskMethodology",
    "RiskSystem",
    "RiskTag",
    "RiskTechnique",
]
