"""CAPA services through the real stack: references, default due dates from policy, the
playbook's suggestions, clocks that remind and escalate exactly once, closure evidence, the
incident closure check, and concurrency."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aims.clocks.choices import ClockState
from aims.clocks.models import Clock
from aims.clocks.services import clocks_of, clocks_tick
from aims.core.concurrency import version_of
from aims.core.exceptions import (
    GuardFailed,
    PermissionRefused,
    StaleVersion,
    ValidationFailed,
)
from aims.core.files import EvidenceIntegrityFailed
from aims.notify.models import Delivery
from capa import rules, services
from capa.choices import ActionStatus, CapaClockKind, CheckResult, Horizon, RootCauseCategory
from incidents import services as incidents
from incidents.choices import Status, TimelineKind
from incidents.tests.factories import file_incident, incident_at, sign_off_disclosure

from .factories import capa_at, capa_data, proof, raise_capa

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def owner(users):
    return users["engineer"]


def test_references_run_without_gaps(grc, owner):
    first = raise_capa(grc, owner)
    second = raise_capa(grc, owner)
    assert (first.reference, second.reference) == ("CAPA-0001", "CAPA-0002")


@pytest.mark.parametrize(
    ("horizon", "days"), [(Horizon.IMMEDIATE, 2), (Horizon.SHORT_TERM, 30), (Horizon.LONG_TERM, 90)]
)
def test_the_due_date_defaults_to_the_horizons_policy(horizon, days, grc, owner):
    with time_machine.travel(T0, tick=False):
        capa = raise_capa(grc, owner, horizon=horizon)
    assert capa.due_at == T0 + timedelta(days=days)
    clock = clocks_of(capa).get()
    assert clock.kind == f"capa_due_{horizon}" and clock.due_at == capa.due_at
    assert clock.owner == owner


def test_a_given_due_date_wins(grc, owner):
    due = T0 + timedelta(days=10)
    capa = raise_capa(grc, owner, due_at=due)
    assert capa.due_at == due == clocks_of(capa).get().due_at


def test_only_managers_raise_capas(users, owner):
    for role in ("engineer", "auditor", "dpo", "legal", "ciso", "executive", "ethics"):
        with pytest.raises(PermissionRefused) as refused:
            raise_capa(users[role], owner, incidents=[])
        assert "Only GRC staff and the AI risk officer raise CAPAs" in refused.value.message
    assert raise_capa(users["risk_officer"], owner).reference


def test_a_capa_from_an_incident_names_it(grc, owner):
    with pytest.raises(ValidationFailed) as refused:
        services.capa_create(actor=grc, data=capa_data(owner, source="incident"), incidents=[])
    assert refused.value.fields == {"incidents": ["required"]}


def test_playbook_suggestions_per_category():
    keys = {c: [s.key for s in rules.suggestions_for(c)] for c in RootCauseCategory.values}
    assert keys == {
        "vendor_model_change": ["version_pinning", "vendor_scorecard"],
        "internal_retraining": ["pre_promotion_evaluation", "ab_period"],
        "distribution_shift": ["input_distribution_monitoring", "training_data_update"],
        "integration_bug": ["integration_tests", "input_validation"],
        "oversight_failure": ["reviewer_recalibration", "review_interface_context"],
        "other": [],
    }
    assert rules.suggestions_for("nonsense") == ()


def test_a_suggestion_fills_the_capa(grc, owner):
    incident = file_incident(grc)
    capa = services.capa_create(
        actor=grc,
        data={"owner": owner, "root_cause_category": RootCauseCategory.VENDOR_MODEL_CHANGE},
        incidents=[incident],
        suggestion="version_pinning",
    )
    assert capa.title == "Pin the vendor model version"
    assert capa.horizon == Horizon.LONG_TERM and capa.source == "incident"
    with pytest.raises(ValidationFailed) as refused:
        services.capa_create(
            actor=grc,
            data={"owner": owner, "root_cause_category": "other"},
            incidents=[incident],
            suggestion="version_pinning",
        )
    assert "offered: none" in refused.value.message


def test_the_incident_timeline_shows_the_capa(grc, owner):
    capa = capa_at(ActionStatus.VERIFIED_EFFECTIVE, actor=grc, owner=owner)
    incident = capa.incidents.get()
    summaries = list(
        incident.timeline.filter(data__module="capa")
        .order_by("at", "id")
        .values_list("summary", flat=True)
    )
    assert summaries[0].startswith(f"{capa.reference} raised")
    assert any("effectiveness check passed" in s for s in summaries)
    assert summaries[-1] == f"{capa.reference} implemented -> verified_effective"


# --- clocks -----------------------------------------------------------------------------------


def _deliveries(capa, kind="capa_due"):
    """What the CAPA's clocks sent (the incident it answers has clocks of its own)."""
    return sorted(
        Delivery.objects.filter(clock__target_id=capa.pk, clock__kind__startswith=kind)
        .filter(clock__target_type__model="correctiveaction")
        .values_list("step_key", "recipient__username")
    )


def test_the_due_clock_reminds_and_escalates_exactly_once(grc, owner, users):
    with time_machine.travel(T0, tick=False) as traveller:
        capa = raise_capa(
            grc, owner, horizon=Horizon.IMMEDIATE, incidents=[], source="risk_treatment"
        )
        assert clocks_tick().reminders == 0
        traveller.move_to(T0 + timedelta(days=2) - timedelta(hours=8))  # 8 h before: the reminder
        assert clocks_tick().reminders == 1
        assert clocks_tick().reminders == 0
        traveller.move_to(T0 + timedelta(days=2))  # due: the owner and the risk officer
        assert clocks_tick().escalations == 2
        assert clocks_tick().escalations == 0
        traveller.move_to(T0 + timedelta(days=2, hours=8))  # then GRC
        assert clocks_tick().escalations == 1
        traveller.move_to(T0 + timedelta(days=9))
        assert clocks_tick().escalations == 0
    assert _deliveries(capa) == [
        ("escalation-1", "engineer"),
        ("escalation-1", "risk_officer"),
        ("escalation-2", "grc"),
        ("reminder", "engineer"),
    ]
    clock = Clock.objects.get(target_id=capa.pk, kind=CapaClockKind.DUE_IMMEDIATE)
    assert clock.state == ClockState.BREACHED


def test_implementing_meets_the_due_clock_and_nobody_is_told(grc, owner):
    with time_machine.travel(T0, tick=False) as traveller:
        capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner, horizon=Horizon.IMMEDIATE)
        traveller.move_to(T0 + timedelta(days=5))
        clocks_tick()
    due = Clock.objects.get(target_id=capa.pk, kind=CapaClockKind.DUE_IMMEDIATE)
    assert due.state == ClockState.MET and due.met_at == T0
    assert _deliveries(capa) == []


def test_the_effectiveness_check_is_a_clock_met_by_its_result(grc, owner, users):
    with time_machine.travel(T0, tick=False) as traveller:
        capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
        check_clock = Clock.objects.get(target_id=capa.pk, kind=CapaClockKind.EFFECTIVENESS_CHECK)
        assert check_clock.due_at == capa.due_at + timedelta(days=30)
        traveller.move_to(check_clock.due_at)
        clocks_tick()
        clocks_tick()
        assert _deliveries(capa, "capa_effectiveness") == [("escalation-1", "risk_officer")]
        services.effectiveness_check_record(actor=users["risk_officer"], capa=capa, result="passed")
        traveller.move_to(check_clock.due_at + timedelta(days=5))
        clocks_tick()
        assert len(_deliveries(capa, "capa_effectiveness")) == 1  # met: GRC is never told
    check_clock.refresh_from_db()
    assert check_clock.met_at is not None and check_clock.next_action_at is None


def test_cancelling_ends_every_clock(grc, owner):
    capa = capa_at(ActionStatus.IN_PROGRESS, actor=grc, owner=owner)
    services.effectiveness_check_plan(actor=grc, capa=capa, criterion="c", method="m")
    services.capa_transition(actor=grc, capa=capa, to="cancelled", reason="Superseded")
    assert set(clocks_of(capa).values_list("state", flat=True)) == {ClockState.NOT_APPLICABLE}


def test_moving_the_due_date_restarts_the_clock(grc, owner):
    capa = raise_capa(grc, owner)
    later = capa.due_at + timedelta(days=7)
    services.capa_update(actor=owner, capa=capa, data={"due_at": later})
    running = Clock.objects.get(
        target_id=capa.pk, kind=CapaClockKind.DUE_SHORT_TERM, state="running"
    )
    assert running.due_at == later


# --- editing ----------------------------------------------------------------------------------


def test_a_stale_version_is_refused(grc, owner):
    capa = raise_capa(grc, owner)
    version = version_of(capa)
    services.capa_update(actor=grc, capa=capa, data={"title": "First edit"})
    with pytest.raises(StaleVersion):
        services.capa_update(
            actor=owner, capa=capa, data={"title": "Second"}, expected_version=version
        )
    capa.refresh_from_db()
    assert capa.title == "First edit"


def test_status_is_not_editable(grc, owner):
    capa = raise_capa(grc, owner)
    with pytest.raises(ValidationFailed) as refused:
        services.capa_update(actor=grc, capa=capa, data={"status": "verified_effective"})
    assert refused.value.fields == {"status": ["not editable"]}


def test_a_stranger_cannot_edit(grc, owner, make_user):
    capa = raise_capa(grc, owner)
    with pytest.raises(PermissionRefused):
        services.capa_update(actor=make_user("engineer"), capa=capa, data={"title": "x"})


# --- closure evidence -------------------------------------------------------------------------


def test_evidence_is_hashed_typed_from_content_and_reverified(grc, owner, users):
    import hashlib

    from incidents.tests.factories import PNG_HEADER

    capa = raise_capa(grc, owner)
    content = PNG_HEADER + b"\x00" * 64
    evidence = services.capa_evidence_add(
        actor=owner, capa=capa, uploaded_file=proof(content, name="screenshot.txt")
    )
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content) and evidence.media_type == "image/png"
    with services.capa_evidence_open(actor=users["auditor"], evidence=evidence) as handle:
        assert handle.read() == content
    with open(evidence.file.path, "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(EvidenceIntegrityFailed):
        services.capa_evidence_open(actor=users["auditor"], evidence=evidence)


def test_evidence_refusals(grc, owner, users):
    capa = raise_capa(grc, owner)
    with pytest.raises(PermissionRefused):
        services.capa_evidence_add(actor=users["auditor"], capa=capa, uploaded_file=proof())
    with pytest.raises(ValidationFailed):
        services.capa_evidence_add(actor=owner, capa=capa, uploaded_file=proof(b""))


# --- the incident closure check -----------------------------------------------------------------


def _resolved(grc, system):
    """Resolved, disclosure signed off, root cause confirmed, nothing decided about CAPAs yet."""
    from incidents.tests.factories import (
        PATH,
        confirm_root_cause,
        ready_incident,
        review_risks_no_change,
    )

    incident = ready_incident(grc, system)
    sign_off_disclosure(incident, grc)
    confirm_root_cause(incident, grc)  # the learning loop's other closure check, met
    review_risks_no_change(incident)  # and the risk register's
    for step in PATH[Status.RESOLVED]:
        incident = incidents.incident_transition(
            actor=grc, incident=incident, to=step, reason="Step"
        )
    return incident


def test_an_incident_closes_only_with_a_capa_or_a_reason_for_none(grc, owner, make_system):
    incident = _resolved(grc, make_system())
    with pytest.raises(GuardFailed) as refused:
        incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert refused.value.message == (
        "Closing needs either a linked CAPA or a recorded decision that none is needed "
        "(with its reason)."
    )
    capa = raise_capa(grc, owner, incidents=[incident])
    closed = incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert closed.status == Status.CLOSED
    # A cancelled CAPA does not count.
    incident = incidents.incident_transition(
        actor=grc, incident=closed, to=Status.INVESTIGATING, reason="Reopened"
    )
    services.capa_transition(actor=grc, capa=capa, to="cancelled", reason="Wrong incident")
    for step in (Status.RESOLVED,):
        incident = incidents.incident_transition(actor=grc, incident=incident, to=step, reason="x")
    with pytest.raises(GuardFailed):
        incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)


def test_no_capa_decision_both_ways(grc, users, make_system):
    incident = _resolved(grc, make_system())
    for role in ("engineer", "auditor", "dpo", "legal"):
        with pytest.raises(PermissionRefused):
            services.no_capa_decide(actor=users[role], incident=incident, reason="Nothing to fix")
    with pytest.raises(ValidationFailed) as refused:
        services.no_capa_decide(actor=grc, incident=incident, reason="  ")
    assert refused.value.fields == {"reason": ["required"]}
    incident = incidents.incident_assign_lead(actor=grc, incident=incident, lead=users["engineer"])
    decision = services.no_capa_decide(
        actor=users["engineer"], incident=incident, reason="Operator typo, already retrained"
    )
    assert decision.decided_by == users["engineer"]
    assert incident.timeline.filter(
        kind=TimelineKind.DECISION, summary__startswith="No CAPA needed"
    ).exists()
    closed = incidents.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert closed.status == Status.CLOSED


def test_the_factory_closes_incidents_as_before(grc, make_system):
    assert incident_at(Status.CLOSED, grc, make_system()).status == Status.CLOSED


def test_a_check_result_is_recorded_once(grc, owner, users):
    capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
    services.effectiveness_check_record(
        actor=users["risk_officer"], capa=capa, result=CheckResult.PASSED
    )
    with pytest.raises(ValidationFailed):
        services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.FAILED)
    with pytest.raises(ValidationFailed):
        services.effectiveness_check_plan(actor=grc, capa=capa, criterion="c", method="m")
