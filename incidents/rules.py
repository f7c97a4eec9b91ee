"""Pure rules of the incident register: severity suggestion and the triage checklist.

No database here: functions take plain values, so they are unit-tested with plain values.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from .choices import FailureScope, HarmFlag, IncidentType, Severity

FINANCIAL_P0_THRESHOLD = Decimal("100000")
INDIVIDUALS_P0_THRESHOLD = 1000
REGULATORY_HARMS = frozenset(
    {
        HarmFlag.PERSONAL_DATA_BREACH,
        HarmFlag.PHI,
        HarmFlag.FUNDAMENTAL_RIGHTS,
        HarmFlag.CRITICAL_INFRASTRUCTURE,
    }
)
PHYSICAL_HARMS = frozenset({HarmFlag.PHYSICAL_HARM, HarmFlag.DEATH})
# An incident's reference as people write it in a reason or a note: INC-2026-0042.
INCIDENT_REFERENCE = re.compile(r"\bINC-\d{4}-\d{3,}\b", re.IGNORECASE)
QUALITY_TYPES = frozenset(
    {IncidentType.DRIFT, IncidentType.PERFORMANCE, IncidentType.UNAVAILABILITY}
)


@dataclass(frozen=True)
class SeverityFacts:
    harm_flags: frozenset = frozenset()
    types: frozenset = frozenset()
    financial_impact: Decimal | None = None
    individuals_affected: int | None = None
    scope: str = ""
    reputational_risk: bool = False


def facts_of(incident) -> SeverityFacts:
    """The facts of an incident record that the severity criteria read (attributes only, no
    queries). A confirmed count, when there is one, wins over the estimate — even when it is 0."""
    confirmed = incident.individuals_affected_confirmed
    return SeverityFacts(
        harm_flags=frozenset(incident.harm_flags),
        types=frozenset(incident.types),
        financial_impact=incident.financial_impact_estimate,
        individuals_affected=confirmed
        if confirmed is not None
        else incident.individuals_affected_estimate,
        scope=incident.scope,
        reputational_risk=incident.reputational_risk,
    )


@dataclass
class SeveritySuggestion:
    severity: int
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Severity(self.severity).label


def suggest_severity(facts: SeverityFacts) -> SeveritySuggestion:
    """The playbook's criteria, most severe first; every criterion met is listed as a reason.

    P0: physical harm, financial loss over $100K, regulatory breach, or 1,000 or more
    individuals affected by incorrect decisions. P1: systematically wrong outputs for a defined
    group, a compliance gap, or reputational risk if public. P2: incorrect outputs for a subset,
    no immediate harm to individuals. P3: quality degradation, no individual harm, no compliance
    implication.
    """
    harms, types = set(facts.harm_flags), set(facts.types)
    p0 = []
    if harms & PHYSICAL_HARMS:
        p0.append("physical harm to a person")
    if facts.financial_impact is not None and facts.financial_impact > FINANCIAL_P0_THRESHOLD:
        p0.append("financial impact over $100K")
    if harms & REGULATORY_HARMS:
        p0.append(
            "regulatory breach ("
            + ", ".join(sorted(str(HarmFlag(h).label) for h in harms & REGULATORY_HARMS))
            + ")"
        )
    if (
        facts.individuals_affected is not None
        and facts.individuals_affected >= INDIVIDUALS_P0_THRESHOLD
    ):
        p0.append(f"{facts.individuals_affected} individuals affected (1,000 or more)")
    if p0:
        return SeveritySuggestion(Severity.P0, p0)

    p1 = []
    if IncidentType.BIAS in types:
        p1.append("systematically wrong outputs for a defined group (bias)")
    if IncidentType.GOVERNANCE in types or IncidentType.PRIVACY in types:
        p1.append("compliance gap")
    if facts.reputational_risk:
        p1.append("reputational risk if public")
    if p1:
        return SeveritySuggestion(Severity.P1, p1)

    if facts.scope == FailureScope.SUBSET or types - QUALITY_TYPES - {IncidentType.OTHER}:
        return SeveritySuggestion(
            Severity.P2, ["incorrect outputs, no immediate harm to individuals"]
        )
    if facts.scope == FailureScope.ALL_INPUTS and not types:
        return SeveritySuggestion(Severity.P2, ["incorrect outputs for all inputs"])
    return SeveritySuggestion(
        Severity.P3, ["quality degradation, no individual harm, no compliance implication"]
    )


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str


def triage_checklist(
    *,
    severity,
    systems_total: int,
    systems_pinned: int,
    failure_began_at,
    outputs_or_individuals,
    scope: str,
    evidence_count: int,
    waiver_approved: bool,
    notifications: int,
) -> list[ChecklistItem]:
    """The five triage steps, each judged from the record itself."""
    return [
        ChecklistItem(
            "severity",
            "Severity determined",
            severity is not None,
            Severity(severity).label if severity is not None else "No severity set yet.",
        ),
        ChecklistItem(
            "systems",
            "System, version and recent changes identified",
            systems_total > 0 and systems_pinned == systems_total,
            "No affected system yet."
            if systems_total == 0
            else f"{systems_pinned} of {systems_total} affected systems pinned to a model version.",
        ),
        ChecklistItem(
            "scope",
            "Scope estimated — since when, how many outputs, which inputs",
            bool(failure_began_at and outputs_or_individuals is not None and scope),
            "Needs: "
            + ", ".join(
                part
                for part, missing in (
                    ("when the failure began", not failure_began_at),
                    ("how many outputs or individuals", outputs_or_individuals is None),
                    ("which inputs (scope)", not scope),
                )
                if missing
            )
            if not (failure_began_at and outputs_or_individuals is not None and scope)
            else "Estimated.",
        ),
        ChecklistItem(
            "evidence",
            "Evidence preserved",
            evidence_count > 0 or waiver_approved,
            f"{evidence_count} evidence item(s)."
            if evidence_count
            else (
                "Waived with the risk officer's approval."
                if waiver_approved
                else "No evidence preserved yet."
            ),
        ),
        ChecklistItem(
            "notifications",
            "Immediate notifications made",
            notifications > 0,
            f"{notifications} notification(s) recorded."
            if notifications
            else "No notification recorded yet.",
        ),
    ]


def incident_references_in(text: str) -> set[str]:
    """The incident references a free text names, upper-cased: "after inc-2026-0042" names
    INC-2026-0042."""
    return {m.upper() for m in INCIDENT_REFERENCE.findall(text or "")}
