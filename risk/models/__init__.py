"""The risk app's models, by subject (DESIGN section 2, "risk")."""

from .controls import ApplicabilityStatement, Control, EvidenceLink
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

__all__ = [
    "ApplicabilityStatement",
    "Control",
    "EvidenceLink",
    "ImpactAssessment",
    "ImpactReviewFlag",
    "IncidentRiskReview",
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
