"""Impact assessments (ISO/IEC 42001 6.1.4, A.5.2-A.5.5): drafted, submitted and approved by
the AI risk officer who is not the author, versioned per system; marked due for review by a
retrain, vendor update or prompt change and by a P0/P1 incident; the next due date a clock that
reminds and escalates once; an approved one on the evidence map. Both ways for every rule."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from aims.clocks.choices import ClockState
from aims.clocks.models import Clock
from aims.clocks.selectors import clocks_owned_by
from aims.clocks.services import clocks_tick
from aims.core.concurrency import version_of
from aims.core.exceptions import GuardFailed, PermissionRefused, StaleVersion
from aims.notify.models import Delivery
from incidents import services as incident_services
from incidents.tests.factories import deploy, file_incident, model_version
from risk import selectors, services
from risk.choices import ImpactClockKind, ImpactStatus
from risk.models import EvidenceLink, ImpactAssessment, ImpactReviewFlag
from risk.tests.impact_factories import approved_assessment, draft_assessment, submitted_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer2(make_user):
    return make_user("risk_officer", username="risk-officer-2")


@pytest.fixture
def system(users, make_system):
    return make_system(name="Support assistant", technical_owner=users["engineer"])


def _flag(system):
    return ImpactReviewFlag.objects.filter(system=system, cleared_at__isnull=True).first()


# --- drafting, submitting, approving -------------------------------------------------------


def test_versions_per_system_and_the_new_approval_supersedes_the_previous(users, system, officer2):
    first = approved_assessment(users["grc"], users["risk_officer"], system)
    assert (first.reference.startswith("AIA-"), first.version, first.trigger) == (
        True,
        1,
        "initial",
    )
    second = approved_assessment(
        users["grc"],
        officer2,
        system,
        result="conditions",
        conditions="A human reviews every refund above 100 EUR.",
    )
    first.refresh_from_db()
    assert second.version == 2 and second.supersedes_id == first.pk
    assert first.status == ImpactStatus.SUPERSEDED
    assert second.approved_by == officer2 and second.approval_comment == "Reviewed with the owner."
    # the superseded version's due clock ends, the new one runs to the new date
    assert Clock.objects.get(target_id=first.pk, kind=ImpactClockKind.DUE).state == (
        ClockState.NOT_APPLICABLE
    )
    assert Clock.objects.get(target_id=second.pk, kind=ImpactClockKind.DUE).due_at == datetime(
        2027, 6, 1, 9, 0, tzinfo=UTC
    )


def test_submitting_needs_every_part_and_conditions_for_a_conditional_result(users, system):
    draft = services.impact_create(actor=users["grc"], system=system, data={})
    with pytest.raises(GuardFailed, match="the intended use.*the next due date"):
        services.impact_transition(actor=users["grc"], assessment=draft, to="submitted")
    conditional = draft_assessment(users["grc"], system, result="conditions")
    with pytest.raises(GuardFailed, match="conditions of an acceptable-with-conditions"):
        services.impact_transition(actor=users["grc"], assessment=conditional, to="submitted")
    services.impact_update(
        actor=users["grc"], assessment=conditional, data={"conditions": "Human review of refunds."}
    )
    moved = services.impact_transition(actor=users["grc"], assessment=conditional, to="submitted")
    assert moved.status == ImpactStatus.SUBMITTED and moved.submitted_at is not None


def test_approval_refused_for_other_roles_and_for_the_author(users, system, officer2):
    for role in ("grc", "engineer", "executive", "auditor"):
        assessment = submitted_assessment(users["grc"], system)
        with pytest.raises(PermissionRefused, match="Only the AI risk officer approves"):
            services.impact_transition(
                actor=users[role], assessment=assessment, to="approved", reason="fine"
            )
        assessment.refresh_from_db()
        assert assessment.status == ImpactStatus.SUBMITTED
        services.impact_transition(
            actor=users["risk_officer"], assessment=assessment, to="draft", reason="redo"
        )
    own = submitted_assessment(users["risk_officer"], system)
    with pytest.raises(PermissionRefused, match="author of an impact assessment"):
        services.impact_transition(
            actor=users["risk_officer"], assessment=own, to="approved", reason="mine"
        )
    approved = services.impact_transition(
        actor=officer2, assessment=own, to="approved", reason="Checked."
    )
    assert approved.status == ImpactStatus.APPROVED and approved.approved_by == officer2


def test_approval_needs_a_comment_and_returning_needs_a_reason(users, system):
    assessment = submitted_assessment(users["grc"], system)
    with pytest.raises(GuardFailed, match="approval comment"):
        services.impact_transition(
            actor=users["risk_officer"], assessment=assessment, to="approved", reason=" "
        )
    with pytest.raises(GuardFailed, match="what needs changing"):
        services.impact_transition(actor=users["risk_officer"], assessment=assessment, to="draft")
    back = services.impact_transition(
        actor=users["risk_officer"], assessment=assessment, to="draft", reason="Add the groups."
    )
    assert back.status == ImpactStatus.DRAFT


def test_only_a_draft_changes_and_a_stale_version_is_refused(users, system):
    draft = draft_assessment(users["grc"], system)
    stale = version_of(draft)
    services.impact_update(actor=users["grc"], assessment=draft, data={"societal_impact": "More"})
    with pytest.raises(StaleVersion):
        services.impact_update(
            actor=users["grc"], assessment=draft, data={"intended_use": "x"}, expected_version=stale
        )
    submitted = services.impact_transition(actor=users["grc"], assessment=draft, to="submitted")
    with pytest.raises(Exception, match="only a draft is changed"):
        services.impact_update(actor=users["grc"], assessment=submitted, data={"result": ""})
    with pytest.raises(PermissionRefused):
        services.impact_create(actor=users["engineer"], system=system, data={})


# --- marked due for review -------------------------------------------------------------------


def test_a_retrain_marks_the_assessment_due_and_a_plain_deploy_does_not(users, system, officer2):
    approved_assessment(users["grc"], users["risk_officer"], system)
    version = model_version(system, users["grc"])
    deploy(system, users["grc"], version, change_type="deploy")
    assert _flag(system) is None
    deployment = deploy(system, users["grc"], version, change_type="retrain")
    flag = _flag(system)
    assert flag.deployment == deployment and flag.reason.startswith("Retrain deployed")
    # shown in My work of the system's technical owner, with the reason
    labels = [c.label for c in clocks_owned_by(users["engineer"])]
    assert any("review due" in label and "Retrain deployed" in label for label in labels)
    # a second change keeps the one flag
    deploy(system, users["grc"], version, change_type="prompt_change")
    assert ImpactReviewFlag.objects.filter(system=system).count() == 1
    # a newly approved assessment clears it and meets its clock
    new = approved_assessment(
        users["grc"], officer2, system, trigger="change", deployment=deployment
    )
    flag.refresh_from_db()
    assert flag.cleared_by == new and _flag(system) is None
    assert Clock.objects.get(target_id=flag.pk, kind=ImpactClockKind.REVIEW).state == (
        ClockState.MET
    )


@pytest.mark.parametrize("change_type", ["vendor_update", "prompt_change"])
def test_vendor_updates_and_prompt_changes_mark_it_due(users, system, change_type):
    deploy(system, users["grc"], model_version(system, users["grc"]), change_type=change_type)
    assert _flag(system) is not None


def test_a_p1_incident_marks_its_systems_due_and_a_p3_does_not(users, system, make_system):
    file_incident(users["grc"], systems=[system], severity=3, severity_reason="minor")
    assert _flag(system) is None
    incident = file_incident(users["grc"], systems=[system], severity=1, severity_reason="bad")
    flag = _flag(system)
    assert flag.incident == incident and flag.reason == f"P1 incident {incident.reference}"


def test_a_restricted_incident_is_not_named_in_the_flag_the_system_page_shows(
    users, system, client
):
    incident = file_incident(
        users["grc"], systems=[system], severity=1, severity_reason="bad", restricted=True
    )
    flag = _flag(system)
    assert flag.incident == incident and flag.reason == "P1 incident (restricted)"
    client.force_login(users["auditor"])
    page = client.get(system.get_absolute_url()).content.decode()
    assert "P1 incident (restricted)" in page and incident.reference not in page


def test_an_incident_raised_to_p0_marks_its_systems_due(users, system):
    incident = file_incident(users["grc"], systems=[system], severity=2, severity_reason="x")
    assert _flag(system) is None
    incident_services.incident_set_severity(
        actor=users["grc"], incident=incident, severity=0, reason="Wider harm found."
    )
    assert _flag(system).incident == incident


# --- the next due date as a clock ------------------------------------------------------------


T0 = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)


def test_the_due_clock_reminds_and_escalates_exactly_once(users, system):
    with time_machine.travel(T0, tick=False) as traveller:
        assessment = approved_assessment(
            users["grc"], users["risk_officer"], system, next_due_date=date(2027, 3, 1)
        )
        due = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
        assert clocks_tick().reminders == 0
        traveller.move_to(due - timedelta(days=30))
        assert clocks_tick().reminders == 1
        assert clocks_tick().reminders == 0
        traveller.move_to(due)
        assert clocks_tick().escalations == 2  # the owner and the AI risk officer
        assert clocks_tick().escalations == 0
        traveller.move_to(due + timedelta(days=7))
        assert clocks_tick().escalations == 1  # then GRC
        traveller.move_to(due + timedelta(days=30))
        assert clocks_tick().escalations == 0
    sent = sorted(
        Delivery.objects.filter(
            clock__target_id=assessment.pk, clock__kind=ImpactClockKind.DUE
        ).values_list("step_key", "recipient__username")
    )
    assert sent == [
        ("escalation-1", "engineer"),
        ("escalation-1", "risk_officer"),
        ("escalation-2", "grc"),
        ("reminder", "engineer"),
    ]


def test_the_review_clock_reminds_and_escalates_exactly_once(users, system):
    with time_machine.travel(T0, tick=False) as traveller:
        deploy(system, users["grc"], model_version(system, users["grc"]), change_type="retrain")
        flag = _flag(system)
        traveller.move_to(T0 + timedelta(days=23))
        assert clocks_tick().reminders == 1
        assert clocks_tick().reminders == 0
        traveller.move_to(T0 + timedelta(days=30))
        assert clocks_tick().escalations == 2
        traveller.move_to(T0 + timedelta(days=37))
        assert clocks_tick().escalations == 1
        assert clocks_tick().escalations == 0
    assert Delivery.objects.filter(clock__target_id=flag.pk).count() == 4


# --- the evidence map ------------------------------------------------------------------------


def test_an_approved_assessment_is_evidence_for_a5(users, system):
    draft = submitted_assessment(users["grc"], system)
    assert not EvidenceLink.objects.filter(target_id=draft.pk).exists()
    approved = services.impact_transition(
        actor=users["risk_officer"], assessment=draft, to="approved", reason="ok"
    )
    rows = {row["control"].code: row for row in selectors.evidence_map()}
    for code in ("A.5.2", "A.5.3", "A.5.4", "A.5.5"):
        labels = [r["label"] for r in rows[code]["records"]]
        assert any(label.startswith(approved.reference) for label in labels), code
    assert not any(r["label"].startswith(approved.reference) for r in rows["A.6.2.6"]["records"])
    assert ImpactAssessment.objects.get(pk=approved.pk).status == ImpactStatus.APPROVED
