"""Severity suggestion and the triage checklist: pure rules, tested with plain values."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from incidents.choices import FailureScope, HarmFlag, IncidentType, Severity
from incidents.rules import SeverityFacts, suggest_severity, triage_checklist


def suggest(**facts):
    return suggest_severity(SeverityFacts(**facts))


# --- P0 --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("harm", [HarmFlag.PHYSICAL_HARM, HarmFlag.DEATH])
def test_physical_harm_is_p0(harm):
    result = suggest(harm_flags=frozenset({harm}))
    assert result.severity == Severity.P0
    assert result.reasons == ["physical harm to a person"]
    assert result.label == Severity.P0.label


def test_financial_loss_over_100k_is_p0_and_exactly_100k_is_not():
    over = suggest(financial_impact=Decimal("100000.01"))
    assert over.severity == Severity.P0
    assert over.reasons == ["financial impact over $100K"]
    assert suggest(financial_impact=Decimal("100000")).severity == Severity.P3
    assert suggest(financial_impact=Decimal("0")).severity == Severity.P3


@pytest.mark.parametrize(
    "harm",
    [
        HarmFlag.PERSONAL_DATA_BREACH,
        HarmFlag.PHI,
        HarmFlag.FUNDAMENTAL_RIGHTS,
        HarmFlag.CRITICAL_INFRASTRUCTURE,
    ],
)
def test_regulatory_breach_is_p0_naming_the_breach(harm):
    result = suggest(harm_flags=frozenset({harm}))
    assert result.severity == Severity.P0
    assert result.reasons == [f"regulatory breach ({HarmFlag(harm).label})"]


def test_property_damage_alone_is_not_a_p0_criterion():
    assert suggest(harm_flags=frozenset({HarmFlag.PROPERTY_ENVIRONMENT})).severity != Severity.P0


def test_1000_individuals_is_p0_and_999_is_not():
    result = suggest(individuals_affected=1000)
    assert result.severity == Severity.P0
    assert result.reasons == ["1000 individuals affected (1,000 or more)"]
    assert suggest(individuals_affected=999).severity == Severity.P3


def test_every_p0_criterion_met_is_listed():
    result = suggest(
        harm_flags=frozenset({HarmFlag.PHYSICAL_HARM, HarmFlag.PHI}),
        financial_impact=Decimal("250000"),
        individuals_affected=5000,
        types=frozenset({IncidentType.BIAS}),
    )
    assert result.severity == Severity.P0
    assert len(result.reasons) == 4


# --- P1 --------------------------------------------------------------------------------------------


def test_bias_is_p1():
    result = suggest(types=frozenset({IncidentType.BIAS}))
    assert (result.severity, result.reasons) == (
        Severity.P1,
        ["systematically wrong outputs for a defined group (bias)"],
    )


@pytest.mark.parametrize("kind", [IncidentType.GOVERNANCE, IncidentType.PRIVACY])
def test_compliance_gap_is_p1(kind):
    result = suggest(types=frozenset({kind}))
    assert (result.severity, result.reasons) == (Severity.P1, ["compliance gap"])


def test_reputational_risk_is_p1():
    result = suggest(reputational_risk=True)
    assert (result.severity, result.reasons) == (Severity.P1, ["reputational risk if public"])


def test_p1_reasons_accumulate():
    result = suggest(
        types=frozenset({IncidentType.BIAS, IncidentType.PRIVACY}), reputational_risk=True
    )
    assert result.severity == Severity.P1
    assert len(result.reasons) == 3


# --- P2 and P3 -------------------------------------------------------------------------------------


def test_incorrect_outputs_for_a_subset_is_p2():
    result = suggest(scope=FailureScope.SUBSET, types=frozenset({IncidentType.DRIFT}))
    assert result.severity == Severity.P2
    assert result.reasons == ["incorrect outputs, no immediate harm to individuals"]


def test_wrong_outputs_of_a_non_quality_type_are_p2():
    assert suggest(types=frozenset({IncidentType.HARMFUL_OUTPUT})).severity == Severity.P2
    assert suggest(types=frozenset({IncidentType.MISINFORMATION})).severity == Severity.P2


def test_all_inputs_failing_with_no_type_is_p2():
    result = suggest(scope=FailureScope.ALL_INPUTS)
    assert (result.severity, result.reasons) == (
        Severity.P2,
        ["incorrect outputs for all inputs"],
    )


@pytest.mark.parametrize(
    "types",
    [
        {IncidentType.DRIFT},
        {IncidentType.PERFORMANCE},
        {IncidentType.UNAVAILABILITY},
        {IncidentType.DRIFT, IncidentType.OTHER},
        set(),
    ],
)
def test_quality_degradation_without_harm_is_p3(types):
    result = suggest(types=frozenset(types))
    assert result.severity == Severity.P3
    assert result.reasons == ["quality degradation, no individual harm, no compliance implication"]


# --- triage checklist ------------------------------------------------------------------------------

BEGAN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def checklist(**overrides):
    values = {
        "severity": None,
        "systems_total": 0,
        "systems_pinned": 0,
        "failure_began_at": None,
        "outputs_or_individuals": None,
        "scope": "",
        "evidence_count": 0,
        "waiver_approved": False,
        "notifications": 0,
    }
    values.update(overrides)
    return {item.key: item for item in triage_checklist(**values)}


def test_checklist_has_the_five_triage_steps_in_order():
    items = triage_checklist(
        severity=None,
        systems_total=0,
        systems_pinned=0,
        failure_began_at=None,
        outputs_or_individuals=None,
        scope="",
        evidence_count=0,
        waiver_approved=False,
        notifications=0,
    )
    assert [i.key for i in items] == ["severity", "systems", "scope", "evidence", "notifications"]
    assert not any(i.done for i in items)


def test_checklist_empty_record_says_what_is_missing():
    items = checklist()
    assert items["severity"].detail == "No severity set yet."
    assert items["systems"].detail == "No affected system yet."
    assert items["scope"].detail == (
        "Needs: when the failure began, how many outputs or individuals, which inputs (scope)"
    )
    assert items["evidence"].detail == "No evidence preserved yet."
    assert items["notifications"].detail == "No notification recorded yet."


def test_checklist_done_when_the_record_has_the_facts():
    items = checklist(
        severity=Severity.P1,
        systems_total=2,
        systems_pinned=2,
        failure_began_at=BEGAN,
        outputs_or_individuals=0,
        scope=FailureScope.SUBSET,
        evidence_count=3,
        notifications=1,
    )
    assert all(item.done for item in items.values())
    assert items["severity"].detail == Severity.P1.label
    assert items["systems"].detail == "2 of 2 affected systems pinned to a model version."
    assert items["scope"].detail == "Estimated."
    assert items["evidence"].detail == "3 evidence item(s)."
    assert items["notifications"].detail == "1 notification(s) recorded."


def test_checklist_system_without_a_pinned_version_is_not_done():
    item = checklist(systems_total=2, systems_pinned=1)["systems"]
    assert not item.done
    assert item.detail == "1 of 2 affected systems pinned to a model version."


def test_checklist_scope_names_only_the_missing_parts():
    item = checklist(failure_began_at=BEGAN, scope=FailureScope.ALL_INPUTS)["scope"]
    assert not item.done
    assert item.detail == "Needs: how many outputs or individuals"


def test_checklist_evidence_waiver_counts_as_preserved():
    item = checklist(waiver_approved=True)["evidence"]
    assert item.done
    assert item.detail == "Waived with the risk officer's approval."
