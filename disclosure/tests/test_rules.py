"""The disclosure rules over many scenarios, each deadline checked to the minute (plain values,
no database). Every rule of the regulations' deadline arithmetic has a row here."""

from datetime import UTC, date, datetime, timedelta

import pytest

from disclosure.regimes import DEFAULT_REGIMES
from disclosure.rules import (
    CODES,
    NO,
    UNDETERMINED,
    YES,
    Facts,
    add_months,
    evaluate,
    parse_deadline_rule,
)

AWARE = datetime(2028, 9, 4, 10, 0, tzinfo=UTC)  # a Monday, after every EU date


def at(**delta) -> datetime:
    return AWARE + timedelta(**delta)


def dt(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


EU_PROVIDER = {"role": "provider", "eu_class": "high_risk_annex_iii", "eu_market": True}
NO_HARM = dict.fromkeys(
    (
        "death",
        "serious_health_harm",
        "critical_infrastructure_disruption",
        "fundamental_rights_infringement",
        "widespread_infringement",
        "serious_property_or_environment_harm",
    ),
    False,
)


def obligations(**facts):
    result = evaluate(Facts(aware_at=facts.pop("aware_at", AWARE), **facts), DEFAULT_REGIMES)
    return {(o.code, o.stage): o for o in result}


def one(code, stage=None, **facts):
    found = obligations(**facts)
    if stage is None:
        (stage,) = [s for c, s in found if c == code]
    return found[(code, stage)]


# (scenario, facts, code, stage, applies, deadline or None)
SCENARIOS = [
    # EU AI Act Art. 73: 15 days, death 10 days, critical infrastructure / widespread 2 days.
    (
        "art73 serious harm to health",
        {**EU_PROVIDER, **NO_HARM, "serious_health_harm": True},
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=15),
    ),
    (
        "art73 death",
        {**EU_PROVIDER, **NO_HARM, "death": True},
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=10),
    ),
    (
        "art73 critical infrastructure",
        {**EU_PROVIDER, **NO_HARM, "critical_infrastructure_disruption": True},
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=2),
    ),
    (
        "art73 widespread infringement",
        {
            **EU_PROVIDER,
            **NO_HARM,
            "widespread_infringement": True,
            "fundamental_rights_infringement": True,
        },
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=2),
    ),
    (
        "art73 death and critical infrastructure: strictest wins",
        {**EU_PROVIDER, **NO_HARM, "death": True, "critical_infrastructure_disruption": True},
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=2),
    ),
    ("art73 no harm", {**EU_PROVIDER, **NO_HARM}, "eu_ai_act_art73", "report", NO, None),
    ("art73 harm unknown", {**EU_PROVIDER}, "eu_ai_act_art73", "report", UNDETERMINED, at(days=15)),
    (
        "art73 not on the EU market",
        {**EU_PROVIDER, **NO_HARM, "death": True, "eu_market": False},
        "eu_ai_act_art73",
        "report",
        NO,
        None,
    ),
    (
        "art73 limited-risk system",
        {**EU_PROVIDER, **NO_HARM, "death": True, "eu_class": "limited"},
        "eu_ai_act_art73",
        "report",
        NO,
        None,
    ),
    (
        "art73 medical device, health harm only",
        {**EU_PROVIDER, **NO_HARM, "serious_health_harm": True, "medical_device": True},
        "eu_ai_act_art73",
        "report",
        NO,
        None,
    ),
    (
        "art73 medical device, fundamental rights",
        {**EU_PROVIDER, **NO_HARM, "fundamental_rights_infringement": True, "medical_device": True},
        "eu_ai_act_art73",
        "report",
        YES,
        at(days=15),
    ),
    (
        "art73 deployer owes 26(5), not 73",
        {**EU_PROVIDER, **NO_HARM, "death": True, "role": "deployer"},
        "eu_ai_act_art73",
        "report",
        NO,
        None,
    ),
    (
        "art26(5) deployer tells the provider immediately",
        {**EU_PROVIDER, **NO_HARM, "death": True, "role": "deployer"},
        "eu_ai_act_art26_5",
        "provider_notice",
        YES,
        None,
    ),
    (
        "art26(5) not for the provider",
        {**EU_PROVIDER, **NO_HARM, "death": True},
        "eu_ai_act_art26_5",
        "provider_notice",
        NO,
        None,
    ),
    (
        "art55 GPAI systemic risk: without undue delay",
        {
            "role": "provider",
            "eu_class": "gpai_systemic_risk",
            **NO_HARM,
            "serious_health_harm": True,
        },
        "eu_ai_act_art55",
        "report",
        YES,
        None,
    ),
    # GDPR.
    (
        "gdpr 33 risk: 72 h",
        {"gdpr_role": "controller", "personal_data_breach": True, "breach_risk": "risk"},
        "gdpr_art33",
        "notification",
        YES,
        at(hours=72),
    ),
    (
        "gdpr 33 unlikely to result in risk",
        {"gdpr_role": "controller", "personal_data_breach": True, "breach_risk": "none"},
        "gdpr_art33",
        "notification",
        NO,
        None,
    ),
    (
        "gdpr 33 risk not assessed",
        {"gdpr_role": "controller", "personal_data_breach": True},
        "gdpr_art33",
        "notification",
        UNDETERMINED,
        at(hours=72),
    ),
    (
        "gdpr 33 breach unknown",
        {"gdpr_role": "controller"},
        "gdpr_art33",
        "notification",
        UNDETERMINED,
        at(hours=72),
    ),
    (
        "gdpr 33 controller and processor",
        {"gdpr_role": "both", "personal_data_breach": True, "breach_risk": "high"},
        "gdpr_art33",
        "notification",
        YES,
        at(hours=72),
    ),
    (
        "gdpr 33 processor tells the controller",
        {"gdpr_role": "processor", "personal_data_breach": True},
        "gdpr_art33_processor",
        "controller_notice",
        YES,
        None,
    ),
    (
        "gdpr 33 not the processor's authority notice",
        {"gdpr_role": "processor", "personal_data_breach": True, "breach_risk": "high"},
        "gdpr_art33",
        "notification",
        NO,
        None,
    ),
    (
        "gdpr 34 high risk",
        {
            "gdpr_role": "controller",
            "personal_data_breach": True,
            "breach_risk": "high",
            "data_unintelligible": False,
        },
        "gdpr_art34",
        "communication",
        YES,
        None,
    ),
    (
        "gdpr 34 exempt: unintelligible data",
        {
            "gdpr_role": "controller",
            "personal_data_breach": True,
            "breach_risk": "high",
            "data_unintelligible": True,
        },
        "gdpr_art34",
        "communication",
        NO,
        None,
    ),
    (
        "gdpr 34 only for high risk",
        {
            "gdpr_role": "controller",
            "personal_data_breach": True,
            "breach_risk": "risk",
            "data_unintelligible": False,
        },
        "gdpr_art34",
        "communication",
        NO,
        None,
    ),
    # NIS2: 24 h, 72 h, final one calendar month after the notification deadline.
    (
        "nis2 early warning",
        {"nis2": "essential", "nis2_significant": True},
        "nis2_art23",
        "early_warning",
        YES,
        at(hours=24),
    ),
    (
        "nis2 notification",
        {"nis2": "important", "nis2_significant": True},
        "nis2_art23",
        "notification",
        YES,
        at(hours=72),
    ),
    (
        "nis2 final",
        {"nis2": "essential", "nis2_significant": True},
        "nis2_art23",
        "final",
        YES,
        dt(2028, 10, 7, 10, 0),
    ),
    (
        "nis2 not significant",
        {"nis2": "essential", "nis2_significant": False},
        "nis2_art23",
        "final",
        NO,
        None,
    ),
    (
        "nis2 not in scope",
        {"nis2": "none", "nis2_significant": True},
        "nis2_art23",
        "early_warning",
        NO,
        None,
    ),
    # DORA: initial 4 h after classification, capped at 24 h after awareness.
    (
        "dora classified early",
        {"dora_financial_entity": True, "dora_major": True, "dora_classified_at": at(hours=2)},
        "dora_art19",
        "initial",
        YES,
        at(hours=6),
    ),
    (
        "dora classified at 22 h: the 24 h cap",
        {"dora_financial_entity": True, "dora_major": True, "dora_classified_at": at(hours=22)},
        "dora_art19",
        "initial",
        YES,
        at(hours=24),
    ),
    (
        "dora classified late: 4 h after classification",
        {"dora_financial_entity": True, "dora_major": True, "dora_classified_at": at(hours=30)},
        "dora_art19",
        "initial",
        YES,
        at(hours=34),
    ),
    (
        "dora not yet classified: the cap",
        {"dora_financial_entity": True, "dora_major": True},
        "dora_art19",
        "initial",
        YES,
        at(hours=24),
    ),
    (
        "dora intermediate 72 h after initial",
        {"dora_financial_entity": True, "dora_major": True, "dora_classified_at": at(hours=2)},
        "dora_art19",
        "intermediate",
        YES,
        at(hours=78),
    ),
    (
        "dora final one month after intermediate",
        {"dora_financial_entity": True, "dora_major": True, "dora_classified_at": at(hours=2)},
        "dora_art19",
        "final",
        YES,
        dt(2028, 10, 7, 16, 0),
    ),
    (
        "dora not major",
        {"dora_financial_entity": True, "dora_major": False},
        "dora_art19",
        "initial",
        NO,
        None,
    ),
    # CER.
    (
        "cer initial 24 h",
        {"cer_critical_entity": True, "cer_significant_disruption": True},
        "cer_art15",
        "initial",
        YES,
        at(hours=24),
    ),
    (
        "cer detailed one month after",
        {"cer_critical_entity": True, "cer_significant_disruption": True},
        "cer_art15",
        "detailed",
        YES,
        dt(2028, 10, 5, 10, 0),
    ),
    # HIPAA.
    (
        "hipaa individuals 60 days",
        {"hipaa": "covered_entity", "phi_breach": True, "phi_individuals": 120},
        "hipaa_individuals",
        "notice",
        YES,
        at(days=60),
    ),
    (
        "hipaa business associate tells the covered entity",
        {"hipaa": "business_associate", "phi_breach": True},
        "hipaa_individuals",
        "notice",
        YES,
        at(days=60),
    ),
    (
        "hipaa media over 500 in a state",
        {
            "hipaa": "covered_entity",
            "phi_breach": True,
            "phi_individuals": 900,
            "phi_residents_by_state": {"CA": 501, "NV": 399},
        },
        "hipaa_media",
        "notice",
        YES,
        at(days=60),
    ),
    (
        "hipaa media: exactly 500 is not more than 500",
        {
            "hipaa": "covered_entity",
            "phi_breach": True,
            "phi_individuals": 700,
            "phi_residents_by_state": {"CA": 500, "NV": 200},
        },
        "hipaa_media",
        "notice",
        NO,
        None,
    ),
    (
        "hipaa hhs 500 or more: with the individuals",
        {"hipaa": "covered_entity", "phi_breach": True, "phi_individuals": 500},
        "hipaa_hhs",
        "notice",
        YES,
        at(days=60),
    ),
    (
        "hipaa hhs under 500: annual log",
        {"hipaa": "covered_entity", "phi_breach": True, "phi_individuals": 499},
        "hipaa_hhs",
        "notice",
        YES,
        dt(2029, 3, 1, 23, 59),
    ),
    (
        "hipaa annual log in a leap year",
        {
            "aware_at": dt(2027, 5, 1, 9, 0),
            "hipaa": "covered_entity",
            "phi_breach": True,
            "phi_individuals": 10,
        },
        "hipaa_hhs",
        "notice",
        YES,
        dt(2028, 2, 29, 23, 59),
    ),
    (
        "hipaa no PHI breach",
        {"hipaa": "covered_entity", "phi_breach": False},
        "hipaa_individuals",
        "notice",
        NO,
        None,
    ),
    # California SB 53: 15 days; 24 h with an imminent risk of death or injury.
    (
        "sb53 15 days",
        {
            "frontier_developer": True,
            "sb53_critical_safety_incident": True,
            "imminent_risk_of_death_or_injury": False,
        },
        "ca_sb53",
        "report",
        YES,
        at(days=15),
    ),
    (
        "sb53 imminent risk: 24 h",
        {
            "frontier_developer": True,
            "sb53_critical_safety_incident": True,
            "imminent_risk_of_death_or_injury": True,
        },
        "ca_sb53",
        "report",
        YES,
        at(hours=24),
    ),
    (
        "sb53 before 2026",
        {
            "aware_at": dt(2025, 12, 31, 23, 0),
            "frontier_developer": True,
            "sb53_critical_safety_incident": True,
        },
        "ca_sb53",
        "report",
        NO,
        None,
    ),
    # China CAC.
    (
        "cac CII operator: 1 h",
        {"china_cii_operator": True},
        "china_cac",
        "report",
        UNDETERMINED,
        at(hours=1),
    ),
    (
        "cac in China: 4 h",
        {"china_cii_operator": False, "jurisdictions": ("CN",)},
        "china_cac",
        "report",
        UNDETERMINED,
        at(hours=4),
    ),
    (
        "cac not China",
        {"china_cii_operator": False, "jurisdictions": ("DE",)},
        "china_cac",
        "report",
        NO,
        None,
    ),
    # Internal notices run from the severity's confirmation.
    (
        "P0 board within 24 h",
        {"severity": 0, "severity_confirmed_at": at(hours=3)},
        "internal_board",
        "notice",
        YES,
        at(hours=27),
    ),
    (
        "P1 executives within 24 h",
        {"severity": 1, "severity_confirmed_at": at(hours=1)},
        "internal_executive",
        "notice",
        YES,
        at(hours=25),
    ),
    (
        "P1 is not the board's",
        {"severity": 1, "severity_confirmed_at": at(hours=1)},
        "internal_board",
        "notice",
        NO,
        None,
    ),
    (
        "P2 goes to neither",
        {"severity": 2, "severity_confirmed_at": at(hours=1)},
        "internal_executive",
        "notice",
        NO,
        None,
    ),
]


@pytest.mark.parametrize(
    ("facts", "code", "stage", "applies", "deadline"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
def test_scenario(facts, code, stage, applies, deadline):
    found = one(code, stage, **dict(facts))
    assert (found.applies, found.deadline) == (applies, deadline), found.reason
    assert found.reason and found.source and found.recipient


def test_every_code_has_rows_and_every_stage_is_evaluated():
    assert {r.code for r in DEFAULT_REGIMES} == set(CODES)
    result = evaluate(Facts(aware_at=AWARE), DEFAULT_REGIMES)
    assert len(result) == len(DEFAULT_REGIMES)
    assert [(o.code, o.stage) for o in result if o.code == "nis2_art23"] == [
        ("nis2_art23", "early_warning"),
        ("nis2_art23", "notification"),
        ("nis2_art23", "final"),
    ]


@pytest.mark.parametrize("kind", ["near_miss", "exercise"])
def test_a_near_miss_or_exercise_triggers_no_external_obligation(kind):
    facts = {
        **EU_PROVIDER,
        **NO_HARM,
        "death": True,
        "gdpr_role": "controller",
        "personal_data_breach": True,
        "breach_risk": "high",
        "nis2": "essential",
        "nis2_significant": True,
        "severity": 0,
        "severity_confirmed_at": at(hours=1),
    }
    incident = obligations(**facts)
    assert incident[("eu_ai_act_art73", "report")].applies == YES  # the control case
    drill = obligations(kind=kind, **facts)
    external = [o for (code, _), o in drill.items() if not code.startswith("internal_")]
    assert {o.applies for o in external} == {NO}
    assert all(o.deadline is None for o in external)
    assert "no external obligation" in drill[("gdpr_art33", "notification")].reason
    assert drill[("internal_board", "notice")].applies == YES  # still told internally


@pytest.mark.parametrize(
    ("eu_class", "aware_at", "applies"),
    [
        ("high_risk_annex_iii", dt(2027, 12, 1, 23, 59), NO),
        ("high_risk_annex_iii", dt(2027, 12, 2, 0, 0), YES),
        ("high_risk_annex_i", dt(2028, 8, 1, 12, 0), NO),
        ("high_risk_annex_i", dt(2028, 8, 2, 0, 0), YES),
    ],
)
def test_art73_applies_from_its_date_per_eu_class(eu_class, aware_at, applies):
    found = one(
        "eu_ai_act_art73",
        aware_at=aware_at,
        **{**EU_PROVIDER, **NO_HARM, "death": True, "eu_class": eu_class},
    )
    assert found.applies == applies
    if applies == NO:
        assert "applies from" in found.reason and found.deadline is None
    else:
        assert found.deadline == aware_at + timedelta(days=10)
    assert found.needs_legal_review


def test_a_later_stage_runs_from_the_actual_submission_of_the_previous_one():
    facts = Facts(aware_at=AWARE, nis2="essential", nis2_significant=True)
    submitted = {("nis2_art23", "notification"): at(hours=30)}
    final = {(o.code, o.stage): o for o in evaluate(facts, DEFAULT_REGIMES, submitted=submitted)}
    assert final[("nis2_art23", "final")].deadline == dt(2028, 10, 5, 16, 0)  # 30 h + 1 month
    assert final[("nis2_art23", "final")].clock_start == at(hours=30)


def test_dora_stages_chain_from_submissions():
    facts = Facts(
        aware_at=AWARE, dora_financial_entity=True, dora_major=True, dora_classified_at=at(hours=1)
    )
    submitted = {
        ("dora_art19", "initial"): at(hours=3),
        ("dora_art19", "intermediate"): at(hours=50),
    }
    found = {(o.code, o.stage): o for o in evaluate(facts, DEFAULT_REGIMES, submitted=submitted)}
    assert found[("dora_art19", "intermediate")].deadline == at(hours=75)
    assert found[("dora_art19", "final")].deadline == add_months(at(hours=50), 1)


def test_unknown_awareness_leaves_the_deadline_empty_and_says_what_is_missing():
    found = evaluate(
        Facts(aware_at=None, gdpr_role="controller", personal_data_breach=True, breach_risk="risk"),
        DEFAULT_REGIMES,
    )
    gdpr = next(o for o in found if o.code == "gdpr_art33")
    assert gdpr.applies == YES and gdpr.deadline is None
    assert "Record when the organisation became aware" in gdpr.deadline_note


def test_no_numeric_bound_is_said_in_the_note():
    found = one(
        "gdpr_art34",
        gdpr_role="controller",
        personal_data_breach=True,
        breach_risk="high",
        data_unintelligible=False,
    )
    assert found.deadline is None and "Without undue delay" in found.deadline_note


def test_the_obligation_shape_of_the_api():
    data = one(
        "gdpr_art33", gdpr_role="controller", personal_data_breach=True, breach_risk="risk"
    ).as_dict()
    assert set(data) == {
        "code",
        "stage",
        "applies",
        "reason",
        "clock_start",
        "deadline",
        "deadline_note",
        "recipient",
        "required_content",
        "source",
        "needs_legal_review",
    }
    assert data["deadline"] == "2028-09-07T10:00:00Z"


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (dt(2028, 1, 31, 8, 0), 1, dt(2028, 2, 29, 8, 0)),
        (dt(2027, 1, 31, 8, 0), 1, dt(2027, 2, 28, 8, 0)),
        (dt(2028, 12, 15, 8, 0), 1, dt(2029, 1, 15, 8, 0)),
        (dt(2028, 3, 31, 8, 0), 1, dt(2028, 4, 30, 8, 0)),
    ],
)
def test_calendar_months(moment, months, expected):
    assert add_months(moment, months) == expected


@pytest.mark.parametrize(
    "text", ["15", "15 days", "15d; : 2d", "15d; dead: 10d", "15d; death:", "x"]
)
def test_a_malformed_deadline_rule_is_refused(text):
    with pytest.raises(ValueError):
        parse_deadline_rule(text)


def test_every_shipped_rule_parses_and_names_real_facts():
    for regime in DEFAULT_REGIMES:
        parse_deadline_rule(regime.deadline_rule)
    assert date(2027, 12, 2) in DEFAULT_REGIMES[0].applies_from_by_class.values()
