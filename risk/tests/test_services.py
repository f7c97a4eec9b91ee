"""The risk register through the real services: references, scores from the methodology in
force, the lifecycle and its guards, acceptance by the authorised role only, a new methodology
version that never re-scores, the review clock escalating exactly once, the SoA and the
evidence map."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from aims.clocks.models import BusinessCalendar
from aims.clocks.services import active_clock, clocks_tick
from aims.core.concurrency import etag_of
from aims.core.exceptions import (
    Conflict,
    GuardFailed,
    PermissionRefused,
    StaleVersion,
    ValidationFailed,
)
from aims.notify.models import Delivery
from incidents.tests.factories import file_incident
from risk import selectors, services
from risk.choices import Applicability, MethodologyStatus, RiskStatus
from risk.filters import RiskFilter
from risk.models import ApplicabilityStatement, Control, RiskAcceptance, RiskEntry, RiskMethodology
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def control():
    return Control.objects.get(code="A.6.2.6")


# --- register -------------------------------------------------------------------------------


def test_references_are_gap_free_and_scores_come_from_the_methodology_in_force(users):
    grc = users["grc"]
    first = raise_risk(grc, inherent_likelihood=4, inherent_impact=5)
    second = raise_risk(grc, inherent_likelihood=2, inherent_impact=2)
    assert (first.reference, second.reference) == ("RISK-0001", "RISK-0002")
    assert (first.inherent_score, first.inherent_band) == (20, "critical")
    assert (second.inherent_score, second.inherent_band) == (4, "low")
    assert first.methodology == selectors.methodology_in_force()
    assert first.status == RiskStatus.DRAFT
    created = RiskEntry.objects.get(risk=first, kind="created")
    assert created.summary == "RISK-0001 raised under methodology v1: inherent L4 x I5 = 20"


@pytest.mark.parametrize("role", ["auditor", "engineer", "executive", "dpo"])
def test_only_grc_and_the_risk_officer_change_the_register(users, role):
    with pytest.raises(PermissionRefused, match="Only GRC staff and the AI risk officer"):
        raise_risk(users[role], owner=users["grc"])


def test_risk_officer_may_raise_a_risk(users):
    assert raise_risk(users["risk_officer"]).reference.startswith("RISK-")


def test_levels_outside_1_to_5_are_refused(users):
    with pytest.raises(ValidationFailed, match="1 to 5"):
        raise_risk(users["grc"], inherent_likelihood=6, inherent_impact=2)


def test_unknown_tags_are_named(users):
    with pytest.raises(ValidationFailed, match="Unknown tags: nope"):
        raise_risk(users["grc"], tags=["gai_confabulation", "nope"])
    risk = raise_risk(users["grc"], tags=["gai_confabulation", "rmf_manage"])
    assert risk.tags == ["gai_confabulation", "rmf_manage"]


def test_assessing_needs_the_inherent_rating(users):
    risk = raise_risk(users["grc"])
    with pytest.raises(GuardFailed, match="inherent likelihood and impact"):
        services.risk_transition(actor=users["grc"], risk=risk, to="assessed")
    services.risk_update(
        actor=users["grc"], risk=risk, data={"inherent_likelihood": 3, "inherent_impact": 3}
    )
    assert (
        services.risk_transition(actor=users["grc"], risk=risk, to="assessed").status == "assessed"
    )


def test_a_mitigated_risk_names_a_control(users, control):
    grc = users["grc"]
    risk = raise_risk(
        grc,
        inherent_likelihood=4,
        inherent_impact=4,
        treatment="mitigate",
        residual_likelihood=2,
        residual_impact=2,
    )
    services.risk_transition(actor=grc, risk=risk, to="assessed")
    with pytest.raises(GuardFailed, match="at least one Annex A control"):
        services.risk_transition(actor=grc, risk=risk, to="treated")
    services.risk_update(actor=grc, risk=risk, data={"controls": [control]})
    assert services.risk_transition(actor=grc, risk=risk, to="treated").status == "treated"
    assert list(risk.controls.all()) == [control]


def test_stale_edits_are_refused(users):
    risk = raise_risk(users["grc"])
    stale = etag_of(risk)
    services.risk_update(actor=users["grc"], risk=risk, data={"title": "Changed"})
    with pytest.raises(StaleVersion):
        services.risk_update(
            actor=users["grc"], risk=risk, data={"title": "Again"}, expected_version=stale
        )


# --- acceptance -----------------------------------------------------------------------------


def test_a_high_residual_risk_is_accepted_by_the_risk_officer_not_by_grc(users, control):
    risk = treated_risk(users["grc"], controls=[control], residual=(3, 4))  # 12, high
    with pytest.raises(
        PermissionRefused,
        match=r"High band \(score 12\) may be accepted only by: AI risk officer",
    ):
        services.risk_accept(actor=users["grc"], risk=risk, rationale="Cost of more controls")
    with pytest.raises(GuardFailed, match="rationale"):
        services.risk_accept(actor=users["risk_officer"], risk=risk, rationale=" ")
    accepted = services.risk_accept(
        actor=users["risk_officer"], risk=risk, rationale="Human review of refunds above 100 EUR"
    )
    assert accepted.status == RiskStatus.ACCEPTED
    acceptance = RiskAcceptance.objects.get(risk=risk)
    assert (acceptance.accepted_by, acceptance.residual_score, acceptance.band) == (
        users["risk_officer"],
        12,
        "high",
    )
    assert acceptance.methodology.version == 1


def test_a_critical_residual_risk_is_accepted_by_an_executive_only(users, control):
    risk = treated_risk(users["grc"], controls=[control], residual=(4, 5), inherent=(5, 5))
    with pytest.raises(PermissionRefused, match="Critical band"):
        services.risk_accept(actor=users["risk_officer"], risk=risk, rationale="x")
    services.risk_accept(actor=users["executive"], risk=risk, rationale="Board decision 2026-11")
    assert risk.acceptances.get().accepted_by == users["executive"]


def test_accepted_ratings_stay_until_reassessed(users, control):
    risk = treated_risk(users["grc"], controls=[control])
    services.risk_accept(actor=users["risk_officer"], risk=risk, rationale="ok")
    with pytest.raises(Conflict, match="re-assess it"):
        services.risk_update(actor=users["grc"], risk=risk, data={"residual_impact": 2})
    with pytest.raises(GuardFailed, match="reason"):
        services.risk_transition(actor=users["grc"], risk=risk, to="assessed")
    services.risk_transition(actor=users["grc"], risk=risk, to="assessed", reason="New incident")
    assert RiskAcceptance.objects.get(risk=risk).revoked_at is not None
    updated = services.risk_update(actor=users["grc"], risk=risk, data={"residual_impact": 2})
    assert updated.residual_score == 6


# --- methodology versions -------------------------------------------------------------------


def _stricter_bands():
    return [
        {"code": "low", "label": "Low", "min_score": 1, "max_score": 3, "accept_roles": ["grc"]},
        {
            "code": "medium",
            "label": "Medium",
            "min_score": 4,
            "max_score": 7,
            "accept_roles": ["risk_officer"],
        },
        {
            "code": "high",
            "label": "High",
            "min_score": 8,
            "max_score": 11,
            "accept_roles": ["risk_officer"],
        },
        {
            "code": "critical",
            "label": "Critical",
            "min_score": 12,
            "max_score": 25,
            "accept_roles": ["executive"],
        },
    ]


def test_only_the_risk_officer_drafts_and_approves(users):
    with pytest.raises(PermissionRefused, match="Only the AI risk officer drafts"):
        services.methodology_draft(actor=users["grc"], data={})
    draft = services.methodology_draft(actor=users["risk_officer"], data={"title": "v2"})
    with pytest.raises(PermissionRefused, match="Only the AI risk officer approves"):
        services.methodology_approve(actor=users["grc"], methodology=draft)
    assert draft.version == 2 and draft.status == MethodologyStatus.DRAFT


def test_an_unusable_draft_is_refused_with_what_is_wrong(users):
    with pytest.raises(ValidationFailed, match="cover every score from 1 to 25"):
        services.methodology_draft(
            actor=users["risk_officer"],
            data={
                "bands": [
                    {
                        "code": "low",
                        "label": "Low",
                        "min_score": 1,
                        "max_score": 9,
                        "accept_roles": [],
                    }
                ]
            },
        )


def test_a_new_version_does_not_rescore_accepted_risks_and_flags_them(users, control):
    grc, officer = users["grc"], users["risk_officer"]
    risk = treated_risk(grc, controls=[control], residual=(3, 4))  # 12: high under v1
    services.risk_accept(actor=officer, risk=risk, rationale="Within budget")
    draft = services.methodology_draft(
        actor=officer, data={"bands": _stricter_bands(), "acceptance_threshold": 7}
    )
    approved = services.methodology_approve(actor=officer, methodology=draft)
    assert approved.status == MethodologyStatus.IN_FORCE
    assert RiskMethodology.objects.get(version=1).status == MethodologyStatus.SUPERSEDED
    risk.refresh_from_db()
    assert (risk.residual_score, risk.residual_band, risk.methodology.version) == (12, "high", 1)
    assert risk.status == RiskStatus.ACCEPTED
    flagged = RiskFilter({"needs_reassessment": "true"}, queryset=selectors.risks_visible_to(grc))
    assert list(flagged.qs) == [risk]
    # Re-assessed under v2: now critical, and the acceptance of v1 no longer stands.
    services.risk_transition(actor=grc, risk=risk, to="assessed", reason="Methodology v2")
    risk.refresh_from_db()
    assert (risk.residual_score, risk.residual_band, risk.methodology.version) == (
        12,
        "critical",
        2,
    )
    services.risk_transition(actor=grc, risk=risk, to="treated")
    with pytest.raises(PermissionRefused, match="Critical band"):
        services.risk_accept(actor=officer, risk=risk, rationale="again")


def test_a_treated_risk_scored_under_an_old_version_cannot_be_accepted(users, control):
    officer = users["risk_officer"]
    risk = treated_risk(users["grc"], controls=[control], residual=(3, 4))
    draft = services.methodology_draft(actor=officer, data={"title": "v2"})
    services.methodology_approve(actor=officer, methodology=draft)
    with pytest.raises(Conflict, match="scored under methodology version 1; version 2 is in force"):
        services.risk_accept(actor=officer, risk=risk, rationale="x")


def test_an_approved_version_stays_as_approved(users):
    current = selectors.methodology_in_force()
    with pytest.raises(Conflict, match="draft a new version"):
        services.methodology_update(
            actor=users["risk_officer"], methodology=current, data={"title": "x"}
        )
    with pytest.raises(Conflict, match="Only a draft can be approved"):
        services.methodology_approve(actor=users["risk_officer"], methodology=current)


# --- the review clock -----------------------------------------------------------------------


def test_review_clock_reminds_and_escalates_exactly_once(users):
    with time_machine.travel(T0, tick=False):
        risk = raise_risk(users["grc"], owner=users["engineer"], next_review_date=date(2026, 12, 1))
        clock = active_clock(risk, "risk_review")
        assert clock.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        assert clock.owner == users["engineer"]
    with time_machine.travel(datetime(2026, 11, 25, 9, 0, tzinfo=UTC), tick=False):
        clocks_tick()
        clocks_tick()
    reminders = Delivery.objects.filter(clock=clock, kind="reminder")
    assert [d.recipient for d in reminders] == [users["engineer"]]
    with time_machine.travel(datetime(2026, 12, 1, 9, 1, tzinfo=UTC), tick=False):
        clocks_tick()
        clocks_tick()
    first = Delivery.objects.filter(clock=clock, kind="escalation")
    assert {d.recipient for d in first} == {users["engineer"], users["risk_officer"]}
    with time_machine.travel(datetime(2026, 12, 8, 9, 1, tzinfo=UTC), tick=False):
        clocks_tick()
        clocks_tick()
    escalations = Delivery.objects.filter(clock=clock, kind="escalation")
    assert sorted(d.recipient.username for d in escalations) == sorted(
        [users["engineer"].username, users["risk_officer"].username, users["grc"].username]
    )


def test_a_review_meets_the_clock_and_starts_the_next(users):
    with time_machine.travel(T0, tick=False):
        risk = raise_risk(users["grc"], next_review_date=date(2026, 12, 1))
        first = active_clock(risk, "risk_review")
        with pytest.raises(ValidationFailed, match="after today"):
            services.risk_review(actor=users["grc"], risk=risk, next_review_date=date(2026, 11, 1))
        services.risk_review(
            actor=users["grc"], risk=risk, next_review_date=date(2027, 6, 1), note="No change"
        )
    first.refresh_from_db()
    assert first.state == "met"
    assert active_clock(risk, "risk_review").due_at.date() == date(2027, 6, 1)
    with pytest.raises(PermissionRefused):
        services.risk_review(actor=users["auditor"], risk=risk, next_review_date=date(2027, 7, 1))


def test_closing_ends_the_review_clock(users):
    risk = raise_risk(users["grc"], next_review_date=date.today() + timedelta(days=30))
    services.risk_transition(actor=users["grc"], risk=risk, to="closed", reason="System retired")
    assert active_clock(risk, "risk_review") is None
    services.risk_transition(actor=users["grc"], risk=risk, to="assessed", reason="Back in use")
    assert active_clock(risk, "risk_review") is not None


# --- visibility -----------------------------------------------------------------------------


def test_engineers_see_the_risks_of_their_systems_only(users, make_system):
    own = make_system(name="Own", business_owner=users["engineer"])
    other = make_system(name="Other", business_owner=users["grc"])
    mine = raise_risk(users["grc"], systems=[own])
    theirs = raise_risk(users["grc"], systems=[other])
    assert list(selectors.risks_visible_to(users["engineer"])) == [mine]
    assert set(selectors.risks_visible_to(users["auditor"])) == {mine, theirs}
    assert not selectors.risks_visible_to(users["ethics"]).exists()


# --- the SoA and the evidence map ------------------------------------------------------------


def test_an_exclusion_needs_a_justification(users, control):
    with pytest.raises(ValidationFailed, match="excluded control needs a justification"):
        services.statement_update(
            actor=users["grc"], control=control, data={"applicability": Applicability.EXCLUDED}
        )
    services.statement_update(
        actor=users["grc"],
        control=control,
        data={"applicability": Applicability.EXCLUDED, "justification": "No AI in operation"},
    )
    statement = ApplicabilityStatement.objects.get(control=control)
    assert (statement.applicability, statement.decided_by) == ("excluded", users["grc"])
    with pytest.raises(PermissionRefused, match="Statement of Applicability"):
        services.statement_update(
            actor=users["auditor"], control=control, data={"applicability": "applicable"}
        )


def _gap_codes():
    return {row["control"].code for row in selectors.evidence_map() if row["gap"]}


def test_the_evidence_map_flags_applicable_controls_without_recent_records(users, make_system):
    grc = users["grc"]
    monitoring = Control.objects.get(code="A.6.2.6")
    reporting = Control.objects.get(code="A.8.4")
    for c in (monitoring, reporting):
        services.statement_update(actor=grc, control=c, data={"applicability": "applicable"})
    assert {"A.6.2.6", "A.8.4"} <= _gap_codes()
    assert "A.2.2" not in _gap_codes()  # undecided controls are not flagged
    incident = file_incident(grc, systems=[make_system()])
    link = services.evidence_link(
        actor=grc, control=reporting, kind="incident", target_id=incident.pk
    )
    assert (
        services.evidence_link(actor=grc, control=reporting, kind="incident", target_id=incident.pk)
        == link
    )  # a retry links nothing twice
    treated_risk(grc, controls=[monitoring])
    gaps = _gap_codes()
    assert "A.8.4" not in gaps and "A.6.2.6" not in gaps
    with time_machine.travel(datetime.now(tz=UTC) + timedelta(days=400), tick=False):
        assert {"A.6.2.6", "A.8.4"} <= _gap_codes()


def test_evidence_links_need_a_visible_record_and_an_editor(users, make_system):
    control = Control.objects.get(code="A.8.4")
    incident = file_incident(users["grc"], systems=[make_system()])
    with pytest.raises(PermissionRefused, match="link evidence"):
        services.evidence_link(
            actor=users["auditor"], control=control, kind="incident", target_id=incident.pk
        )
    with pytest.raises(ValidationFailed, match="Unknown kind of record capa"):
        services.evidence_link(actor=users["grc"], control=control, kind="capa", target_id=1)
    with pytest.raises(ValidationFailed, match="No incident with id 0"):
        services.evidence_link(actor=users["grc"], control=control, kind="incident", target_id=0)


def test_a_new_owner_takes_the_review_clock_and_a_control_change_moves_the_etag(users, control):
    risk = raise_risk(users["grc"], next_review_date=date.today() + timedelta(days=30))
    services.risk_update(actor=users["grc"], risk=risk, data={"owner": users["risk_officer"]})
    assert active_clock(risk, "risk_review").owner == users["risk_officer"]
    risk.refresh_from_db()
    before = etag_of(risk)
    services.risk_update(actor=users["grc"], risk=risk, data={"controls": [control]})
    risk.refresh_from_db()
    assert etag_of(risk) != before
    assert risk.entries.filter(kind="controls").get().summary == "Controls: applied A.6.2.6"
