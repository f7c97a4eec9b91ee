"""The risk app's models, by subject (DESIGN section 2, "risk")."""

from .controls import ApplicabilityStatement, Control, EvidenceLink
from .methodology import RiskMethodology
from .register import (
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskEntry,
    RiskIncidentLink,
    RiskSystem,
    RiskTag,
)

__all__ = [
    "ApplicabilityStatement",
    "Control",
    "EvidenceLink",
    "Risk",
    "RiskAcceptance",
    "RiskControl",
    "RiskEntry",
    "RiskIncidentLink",
    "RiskMethodology",
    "RiskSystem",
    "RiskTag",
]
