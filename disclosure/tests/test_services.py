"""The disclosure assessment on real incidents: proposed by the rules, confirmed by people,
signed off by legal, reopened when facts change, obligations tracked to submission with their
deadline clocks escalating exactly once. Data through the real services, controlled time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from aims.clocks.models import BusinessCalendar
from aims.clocks.services import active_clock, clocks_tick
from aims.core.exceptions import Conflict, GuardFailed, PermissionRefused, ValidationFailed
from aims.notify.models import Delivery
from aims.notify.services import deliver_due
from disclosure import permissions, services
from disclosure.choices import AssessmentStatus, ObligationStatus
from disclosure.models import DisclosureAssessment, Obligation
from incidents.choices import TimelineKind
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def eu_system(make_system):
    return make_system(
        name="Claims triage",
        gdpr_role="controller",
        nis2_entity="essential",
        eu_market=True,
    )


@pytest.fixture
def breach(users, eu_system):
    with time_machine.travel(T0, tick=False):
        return file_incident(
            users["grc"],
            systems=[eu_system],
            harm_flags=["personal_data_breach"],
            detected_at=T0 - timedelta(hours=1),
        )


def refresh(incident, actor):
    with time_machine.travel(T0, tick=False):
        return services.assessment_refresh(actor=actor, incident=incident)


def obligation(assessment, code, stage=None):
    rows = assessment.obligations.filter(code=code)
    return rows.get(stage=stage) if stage else rows.get()


def set_facts(incident, actor, **data):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        return services.incident_facts_update(actor=actor, incident=incident, data=data)


def test_the_rules_propose_every_obligation_and_a_fact_turns_undetermined_into_yes(breach, users):
    assessment = refresh(breach, users["dpo"])
    assert assessment.obligations.count() == 21
    gdpr = obligation(assessment, "gdpr_art33")
    assert gdpr.proposed == "undetermined"
    assert "risk" in gdpr.proposed_reason
    assert gdpr.deadline == T0 - timedelta(hours=1) + timedelta(hours=72)  # from detection
    set_facts(breach, users["dpo"], aware_at=T0, breach_risk="risk")
    gdpr.refresh_from_db()
    assert (gdpr.proposed, gdpr.deadline) == ("yes", T0 + timedelta(hours=72))
    clock = active_clock(gdpr, "obligation")
    assert clock.due_at == gdpr.deadline and clock.owner_role == "legal"
    entry = breach.timeline.filter(kind=TimelineKind.UPDATE).latest("at")
    assert "aware_at" in entry.summary and "breach_risk" in entry.summary


def test_disagreeing_with_the_rules_needs_a_reason(breach, users):
    assessment = refresh(breach, users["dpo"])
    gdpr = obligation(assessment, "gdpr_art33")
    with pytest.raises(ValidationFailed) as refused:
        services.obligation_confirm(actor=users["dpo"], obligation=gdpr, applies="no")
    assert "reason" in refused.value.fields
    confirmed = services.obligation_confirm(
        actor=users["dpo"], obligation=gdpr, applies="no", reason="Test data only, no real people."
    )
    assert (confirmed.applies, confirmed.status) == ("no", ObligationStatus.NOT_REQUIRED)
    assert confirmed.confirmed_by == users["dpo"]
    assert active_clock(confirmed, "obligation") is None
    decision = breach.timeline.filter(kind=TimelineKind.DECISION).latest("at")
    assert "gdpr_art33" in decision.summary and "Test data only" in decision.summary


@pytest.mark.parametrize("role", ["engineer", "auditor", "executive", "ethics"])
def test_only_the_disclosure_roles_confirm(role, breach, users):
    gdpr = obligation(refresh(breach, users["dpo"]), "gdpr_art33")
    with pytest.raises(PermissionRefused):
        services.obligation_confirm(actor=users[role], obligation=gdpr, applies="undetermined")
    gdpr.refresh_from_db()
    assert gdpr.applies == ""


@pytest.mark.parametrize("role", ["engineer", "ciso", "auditor", "executive", "ethics"])
def test_only_the_disclosure_roles_ask_for_a_proposal(role, breach, users):
    """The service refuses by itself (the pages and the API ask the same rule first)."""
    with pytest.raises(PermissionRefused) as refused:
        services.assessment_propose(actor=users[role], incident=breach)
    assert refused.value.message == permissions.can_assess(users[role], breach).message
    assert not DisclosureAssessment.objects.filter(incident=breach).exists()
    proposed = services.assessment_propose(actor=users["dpo"], incident=breach)  # control
    assert proposed.obligations.exists()


def confirm_all(assessment, actor):
    for row in assessment.obligations.exclude(proposed="no"):
        applies = "no" if row.proposed == "undetermined" else row.proposed
        services.obligation_confirm(
            actor=actor, obligation=row, applies=applies, reason="Assessed."
        )


def test_sign_off_needs_every_obligation_confirmed_and_only_legal_signs(breach, users):
    assessment = refresh(breach, users["dpo"])
    with pytest.raises(GuardFailed) as refused:
        services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    assert refused.value.message.startswith("Before sign-off: confirm ")
    assert "gdpr_art33 (notification)" in refused.value.message  # undetermined by the rules
    assert "china_cac" not in refused.value.message  # the rules say no: the sign-off accepts it
    confirm_all(assessment, users["dpo"])
    services.obligation_confirm(
        actor=users["dpo"],
        obligation=obligation(assessment, "gdpr_art34"),
        applies="undetermined",
        reason="Waiting for the encryption report.",
    )
    with pytest.raises(GuardFailed) as refused:
        services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    assert "gdpr_art34 (communication) (still undetermined)" in refused.value.message
    services.obligation_confirm(
        actor=users["dpo"],
        obligation=obligation(assessment, "gdpr_art34"),
        applies="no",
        reason="The data was encrypted.",
    )
    with pytest.raises(PermissionRefused):
        services.assessment_sign_off(actor=users["dpo"], assessment=assessment)
    signed = services.assessment_sign_off(actor=users["legal"], assessment=assessment, comment="OK")
    assert signed.status == AssessmentStatus.SIGNED_OFF and signed.signed_off_by == users["legal"]
    approval = breach.timeline.filter(kind=TimelineKind.APPROVAL).latest("at")
    assert "no notification required" in approval.summary  # kept even when nothing applies
    with pytest.raises(GuardFailed):
        services.obligation_confirm(
            actor=users["dpo"], obligation=obligation(assessment, "gdpr_art33"), applies="yes"
        )


def test_facts_changing_after_sign_off_reopen_it_and_say_why(breach, users):
    assessment = refresh(breach, users["dpo"])
    confirm_all(assessment, users["dpo"])
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    set_facts(breach, users["dpo"], breach_risk="high")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REOPENED
    assert "breach_risk" in assessment.reopened_reason
    reopened = breach.timeline.filter(kind=TimelineKind.DECISION, summary__contains="reopened")
    assert reopened.exists()
    gdpr = obligation(assessment, "gdpr_art33")
    assert gdpr.proposed == "yes" and gdpr.applies == ""  # the proposal changed: confirm again


def test_unchanged_facts_keep_the_sign_off(breach, users):
    assessment = refresh(breach, users["dpo"])
    confirm_all(assessment, users["dpo"])
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    refresh(breach, users["dpo"])
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF


def test_submissions_meet_the_clock_and_later_stages_run_from_them(breach, users):
    set_facts(breach, users["dpo"], aware_at=T0, nis2_significant=True)
    assessment = breach.disclosure_assessment
    notification = obligation(assessment, "nis2_art23", "notification")
    final = obligation(assessment, "nis2_art23", "final")
    assert final.deadline == datetime(2026, 12, 19, 9, 0, tzinfo=UTC)  # 72 h + 1 month
    sent_at = T0 + timedelta(hours=30)
    with time_machine.travel(sent_at + timedelta(minutes=1), tick=False):
        document = SimpleUploadedFile("nis2.pdf", b"%PDF-1.4 notification", "application/pdf")
        submission = services.obligation_submit(
            actor=users["legal"],
            obligation=notification,
            phase="complete",
            submitted_at=sent_at,
            reference="CSIRT-2026-77",
            document=document,
        )
    notification.refresh_from_db()
    assert notification.status == ObligationStatus.SUBMITTED
    assert submission.document.sha256 and submission.document.incident == breach
    assert active_clock(notification, "obligation") is None
    final.refresh_from_db()
    assert final.deadline == datetime(2026, 12, 17, 15, 0, tzinfo=UTC)  # 30 h + 1 month
    communication = breach.timeline.filter(kind=TimelineKind.COMMUNICATION).latest("at")
    assert "CSIRT-2026-77" in communication.summary
    with pytest.raises(Conflict):
        services.obligation_submit(actor=users["legal"], obligation=notification, phase="complete")


def test_an_initial_report_meets_the_deadline_and_the_complete_one_follows(breach, users):
    set_facts(breach, users["dpo"], aware_at=T0, breach_risk="risk")
    gdpr = obligation(breach.disclosure_assessment, "gdpr_art33")
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        services.obligation_submit(actor=users["dpo"], obligation=gdpr, phase="initial")
    gdpr.refresh_from_db()
    assert gdpr.status == ObligationStatus.PENDING and gdpr.submitted_at is not None
    assert active_clock(gdpr, "obligation") is None
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        services.obligation_submit(actor=users["dpo"], obligation=gdpr, phase="complete")
    gdpr.refresh_from_db()
    assert gdpr.status == ObligationStatus.SUBMITTED and gdpr.submissions.count() == 2


def test_a_not_applicable_obligation_takes_no_submission(breach, users):
    assessment = refresh(breach, users["dpo"])
    cac = obligation(assessment, "china_cac")
    assert cac.proposed == "no"
    with pytest.raises(Conflict):
        services.obligation_submit(actor=users["legal"], obligation=cac, phase="complete")


def test_deadline_clocks_remind_and_escalate_exactly_once(breach, users, make_user):
    set_facts(breach, users["dpo"], aware_at=T0, breach_risk="risk")
    gdpr = obligation(breach.disclosure_assessment, "gdpr_art33")
    due = gdpr.deadline

    def sent_after(moment):
        clocks_tick(now=moment)
        deliver_due(now=moment)
        return list(
            Delivery.objects.filter(clock__target_id=gdpr.pk, clock__kind="obligation")
            .order_by("id")
            .values_list("step_key", "recipient__username")
        )

    assert sent_after(due - timedelta(hours=5)) == []
    reminded = [("reminder", "legal")]
    assert sent_after(due - timedelta(hours=3)) == reminded  # 4 hours before
    assert sent_after(due - timedelta(hours=3)) == reminded  # the same tick again: nobody twice
    escalated = [*reminded, ("escalation-1", "dpo"), ("escalation-1", "legal")]
    assert sent_after(due) == escalated
    assert sent_after(due + timedelta(minutes=1)) == escalated
    final = [*escalated, ("escalation-2", "grc"), ("escalation-2", "risk_officer")]
    assert sent_after(due + timedelta(hours=2)) == final
    assert sent_after(due + timedelta(hours=9)) == final
    entry = breach.timeline.filter(kind=TimelineKind.DELIVERY, summary__contains="gdpr_art33")
    assert entry.exists()


def test_a_near_miss_is_assessed_and_recorded_though_nothing_applies(users, eu_system):
    near_miss = file_incident(
        users["grc"], systems=[eu_system], kind="near_miss", harm_flags=["personal_data_breach"]
    )
    assessment = refresh(near_miss, users["dpo"])
    external = assessment.obligations.exclude(code__startswith="internal_")
    assert set(external.values_list("proposed", flat=True)) == {"no"}
    assert (
        not Obligation.objects.filter(assessment=assessment, status="pending")
        .exclude(code__startswith="internal_")
        .exists()
    )


def test_system_flags_changing_reassess_open_incidents(breach, users, eu_system):
    assessment = refresh(breach, users["dpo"])
    assert obligation(assessment, "cer_art15", "initial").proposed == "no"
    services.system_facts_update(
        actor=users["grc"], system=eu_system, data={"cer_critical_entity": True}
    )
    assert obligation(assessment, "cer_art15", "initial").proposed == "undetermined"
    with pytest.raises(PermissionRefused):
        services.system_facts_update(
            actor=users["auditor"], system=eu_system, data={"medical_device": True}
        )


def test_an_incident_closes_only_with_its_assessment_signed_off(users, eu_system):
    from incidents import services as incidents
    from incidents.choices import Status
    from incidents.tests.factories import (
        PATH,
        confirm_root_cause,
        decide_no_capa,
        ready_incident,
        review_risks_no_change,
    )

    grc = users["grc"]
    incident = ready_incident(grc, eu_system)
    confirm_root_cause(incident, grc)  # what the learning loop requires ...
    decide_no_capa(incident, grc)
    review_risks_no_change(
        incident
    )  # ... and the risk register, so the message left is disclosure's
    for step in PATH[Status.RESOLVED]:
        incident = incidents.incident_transition(
            actor=grc, incident=incident, to=step, reason="Step."
        )
    with pytest.raises(GuardFailed) as refused:
        incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert refused.value.message == "Closing needs a disclosure assessment signed off by legal."
    assessment = services.assessment_refresh(actor=grc, incident=incident)
    for row in assessment.obligations.exclude(proposed="no"):
        services.obligation_confirm(
            actor=users["legal"], obligation=row, applies="no", reason="None owed."
        )
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    services.assessment_reopen(actor=users["legal"], assessment=assessment, reason="New facts.")
    with pytest.raises(GuardFailed) as refused:
        incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert "reopened disclosure assessment signed off by legal again" in refused.value.message
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    closed = incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert closed.status == Status.CLOSED


# --- communications ---------------------------------------------------------------------------


def test_a_communication_is_drafted_approved_by_the_plan_role_then_sent(breach, users):
    from disclosure.choices import CommunicationStatus

    draft = services.communication_draft(
        actor=users["dpo"],
        incident=breach,
        data={
            "audience": "affected_individuals",
            "channel": "e-mail",
            "subject": "About your claim decision",
            "content": "We found an error that may have affected your claim.",
        },
    )
    assert draft.approver_role == "dpo" and draft.status == CommunicationStatus.DRAFT
    with pytest.raises(GuardFailed):
        services.communication_send(actor=users["dpo"], communication=draft)
    with pytest.raises(PermissionRefused) as refused:
        services.communication_approve(actor=users["dpo"], communication=draft)
    assert "other than the drafter" in refused.value.message
    with pytest.raises(PermissionRefused) as refused:
        services.communication_approve(actor=users["legal"], communication=draft)
    assert "has dpo approve" in refused.value.message
    other_dpo = make_user_with_role("dpo")
    approved = services.communication_approve(actor=other_dpo, communication=draft)
    assert approved.status == CommunicationStatus.APPROVED and approved.approved_by == other_dpo
    sent = services.communication_send(actor=users["legal"], communication=draft)
    assert sent.status == CommunicationStatus.SENT and sent.sent_by == users["legal"]
    entry = breach.timeline.filter(kind=TimelineKind.COMMUNICATION).latest("at")
    assert "affected individuals by e-mail: About your claim decision" in entry.summary
    with pytest.raises(Conflict):
        services.communication_approve(actor=other_dpo, communication=draft)


def test_the_plan_picks_the_severity_specific_approver(breach, users):
    from disclosure.models import CommunicationPlanEntry

    assert services.plan_entry_for("board", 0).approver_role == "executive"
    assert services.plan_entry_for("board", 2) is None  # the plan has board messages for P0 only
    CommunicationPlanEntry.objects.create(audience="board", min_severity=None, approver_role="grc")
    assert services.plan_entry_for("board", 2).approver_role == "grc"
    assert services.plan_entry_for("board", 0).approver_role == "executive"


def make_user_with_role(role):
    from aims.accounts.services import user_upsert_with_role

    user, _ = user_upsert_with_role(username=f"second-{role}", role=role)
    return user


def test_an_incident_change_after_sign_off_reopens_the_assessment(breach, users):
    from incidents import services as incidents

    assessment = refresh(breach, users["dpo"])
    confirm_all(assessment, users["dpo"])
    services.assessment_sign_off(actor=users["legal"], assessment=assessment)
    incidents.incident_update(actor=users["grc"], incident=breach, data={"title": "Same facts"})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF  # a title is no fact of disclosure
    incidents.incident_set_severity(
        actor=users["grc"], incident=breach, severity=0, reason="People harmed"
    )
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REOPENED
    assert "severity" in assessment.reopened_reason
    board = assessment.obligations.get(code="internal_board")
    assert board.proposed == "yes"  # P0 now: the board is told
