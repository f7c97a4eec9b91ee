"""The regimes table and the what-if evaluation through the API (real database, tokens)."""

import pytest

from disclosure.models import RegimeRule

pytestmark = pytest.mark.django_db

REGIMES = "/api/v1/disclosure/regimes/"
EVALUATE = "/api/v1/disclosure/evaluate/"

TABLETOP = {
    "aware_at": "2028-09-04T12:00:00+02:00",
    "system": {
        "role": "provider",
        "eu_class": "high_risk_annex_iii",
        "eu_market": True,
        "gdpr_role": "controller",
    },
    "incident": {
        "death": False,
        "serious_health_harm": True,
        "critical_infrastructure_disruption": False,
        "fundamental_rights_infringement": False,
        "widespread_infringement": False,
        "serious_property_or_environment_harm": False,
        "personal_data_breach": True,
        "breach_risk": "risk",
        "severity": 1,
        "severity_confirmed_at": "2028-09-04T11:00:00Z",
    },
}


def by_key(rows):
    return {(r["code"], r["stage"]): r for r in rows}


def test_the_migration_loads_every_regime_and_stage(users, api_client_for):
    rows = api_client_for(users["auditor"]).get(REGIMES).json()
    keys = {(r["code"], r["stage"]) for r in rows}
    assert ("nis2_art23", "early_warning") in keys and ("dora_art19", "final") in keys
    assert len(rows) == RegimeRule.objects.count() == 21
    art73 = by_key(rows)[("eu_ai_act_art73", "report")]
    assert art73["needs_legal_review"] is True
    assert art73["applies_from_by_class"] == {
        "high_risk_annex_iii": "2027-12-02",
        "high_risk_annex_i": "2028-08-02",
    }


def test_what_if_answers_the_obligations_without_storing_anything(users, api_client_for):
    from aims.audit.chain import history_models

    before = sum(m.objects.count() for m in history_models())
    answer = api_client_for(users["engineer"]).post(EVALUATE, TABLETOP, format="json")
    assert answer.status_code == 200, answer.content
    found = by_key(answer.json())
    art73 = found[("eu_ai_act_art73", "report")]
    assert art73["applies"] == "yes"
    assert art73["deadline"] == "2028-09-19T10:00:00Z"  # 15 days from 10:00 UTC
    assert found[("gdpr_art33", "notification")]["deadline"] == "2028-09-07T10:00:00Z"
    assert found[("internal_executive", "notice")]["deadline"] == "2028-09-05T11:00:00Z"
    assert found[("nis2_art23", "early_warning")]["applies"] == "no"
    assert set(art73) == {
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
    assert sum(m.objects.count() for m in history_models()) == before


def test_an_edited_rule_changes_the_evaluation(users, api_client_for):
    legal = api_client_for(users["legal"])
    row = RegimeRule.objects.get(code="gdpr_art33")
    detail = legal.get(f"{REGIMES}{row.pk}/")
    changed = legal.patch(
        f"{REGIMES}{row.pk}/", {"deadline_rule": "48h"}, format="json", HTTP_IF_MATCH=detail["ETag"]
    )
    assert changed.status_code == 200, changed.content
    found = by_key(legal.post(EVALUATE, TABLETOP, format="json").json())
    assert found[("gdpr_art33", "notification")]["deadline"] == "2028-09-06T10:00:00Z"
    row.refresh_from_db()
    assert row.history.first().history_user == users["legal"]
    stale = legal.patch(
        f"{REGIMES}{row.pk}/", {"deadline_rule": "72h"}, format="json", HTTP_IF_MATCH=detail["ETag"]
    )
    assert stale.status_code == 412


@pytest.mark.parametrize("role", ["legal", "grc"])
def test_legal_and_grc_change_rules(role, users, api_client_for):
    row = RegimeRule.objects.get(code="ca_sb53")
    answer = api_client_for(users[role]).patch(
        f"{REGIMES}{row.pk}/", {"needs_legal_review": True}, format="json"
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "role", ["dpo", "risk_officer", "auditor", "engineer", "executive", "ciso", "ethics"]
)
def test_other_roles_read_but_cannot_change_rules(role, users, api_client_for):
    row = RegimeRule.objects.get(code="ca_sb53")
    client = api_client_for(users[role])
    assert client.get(REGIMES).status_code == 200
    answer = client.patch(f"{REGIMES}{row.pk}/", {"deadline_rule": "1h"}, format="json")
    assert answer.status_code == 403
    assert answer.json()["message"] == "Only legal and GRC staff change the regulatory rules."
    row.refresh_from_db()
    assert row.deadline_rule == "15d"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"deadline_rule": "fifteen days"}, "deadline_rule"),
        ({"deadline_rule": "15d; nobody: 1d"}, "deadline_rule"),
        ({"clock_start": "whenever"}, "clock_start"),
        ({"applies_from_by_class": {"mystery": "2027-01-01"}}, "applies_from_by_class"),
        ({"applies_from_by_class": {"high_risk_annex_i": "soon"}}, "applies_from_by_class"),
    ],
)
def test_a_bad_rule_is_refused_with_what_to_fix(change, field, users, api_client_for):
    row = RegimeRule.objects.get(code="gdpr_art33")
    answer = api_client_for(users["legal"]).patch(f"{REGIMES}{row.pk}/", change, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]
    row.refresh_from_db()
    assert row.deadline_rule == "72h"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "aware_at"),
        ({"aware_at": "yesterday"}, "aware_at"),
        ({"aware_at": "0001-01-01T00:00:00Z"}, "aware_at"),
        ({**TABLETOP, "incident": {"dead": True}}, "incident"),
        ({**TABLETOP, "system": {"eu_class": "high"}}, "system"),
        ({**TABLETOP, "incident": {"severity": 7}}, "incident"),
        ({**TABLETOP, "incident": {"phi_residents_by_state": {"CA": -1}}}, "incident"),
    ],
)
def test_what_if_says_which_fact_is_wrong(body, field, users, api_client_for):
    answer = api_client_for(users["grc"]).post(EVALUATE, body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["fields"]


def test_what_if_needs_a_role(make_user, api_client_for):
    from aims.accounts.models import User

    nobody = User.objects.create(username="no-role")
    assert api_client_for(nobody).post(EVALUATE, TABLETOP, format="json").status_code == 403
    assert api_client_for(None).post(EVALUATE, TABLETOP, format="json").status_code == 401
    assert (
        api_client_for(make_user("ethics")).post(EVALUATE, TABLETOP, format="json").status_code
        == 200
    )
