"""The lifecycle table: every (from, to) pair, each guard both ways, milestones and who may move.

Data is made through the real services (``incidents.tests.factories``); ``incident_transition``
is the only way a status changes.
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aims.core.exceptions import GuardFailed, InvalidTransition, PermissionRefused
from incidents import services, workflow
from incidents.choices import ContainmentOption, Severity, Status, TimelineKind

from .factories import (
    add_evidence,
    decide_no_capa,
    file_incident,
    incident_at,
    ready_incident,
    sign_off_disclosure,
)

pytestmark = pytest.mark.django_db

ALLOWED = {(m.source, m.target) for m in workflow.MOVES}
PAIRS = list(itertools.product(Status, Status))


def move(incident, actor, to, reason=""):
    return services.incident_transition(actor=actor, incident=incident, to=to, reason=reason)


@pytest.fixture
def system(make_system):
    return make_system()


@pytest.fixture
def grc(users):
    return users["grc"]


# --- the table -------------------------------------------------------------------------------------


def test_the_table_is_the_designed_lifecycle():
    designed = {
        (Status.REPORTED, Status.TRIAGED),
        (Status.REPORTED, Status.REJECTED),
        (Status.TRIAGED, Status.CONTAINED),
        (Status.TRIAGED, Status.INVESTIGATING),
        (Status.TRIAGED, Status.REJECTED),
        (Status.CONTAINED, Status.INVESTIGATING),
        (Status.INVESTIGATING, Status.REMEDIATING),
        (Status.INVESTIGATING, Status.RESOLVED),
        (Status.REMEDIATING, Status.RESOLVED),
        (Status.RESOLVED, Status.INVESTIGATING),
        (Status.RESOLVED, Status.CLOSED),
        (Status.CLOSED, Status.INVESTIGATING),
    }
    assert designed == ALLOWED


@pytest.mark.parametrize(
    ("source", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS]
)
def test_every_pair_of_statuses(source, target, grc, system):
    incident = incident_at(source, grc, system)
    assert incident.status == source
    if (source, target) in ALLOWED:
        moved = move(incident, grc, target, reason="A reason, as skip moves need one.")
        assert moved.status == target
        incident.refresh_from_db()
        assert incident.status == target
        entry = incident.timeline.filter(kind=TimelineKind.STATUS).order_by("-at", "-id").first()
        assert entry.data["from"] == source and entry.data["to"] == target
        assert entry.actor == grc
    else:
        with pytest.raises(InvalidTransition) as refused:
            move(incident, grc, target, reason="A reason.")
        assert f"cannot move from {source.value} to {target.value}" in refused.value.message
        allowed = [m.target.value for m in workflow.moves_from(source)]
        assert (", ".join(allowed) or "none") in refused.value.message
        incident.refresh_from_db()
        assert incident.status == source


def test_an_unknown_status_is_an_invalid_transition(grc, system):
    incident = incident_at(Status.REPORTED, grc, system)
    with pytest.raises(InvalidTransition):
        move(incident, grc, "fixed")


# --- guard 2: triage --------------------------------------------------------------------------------


def test_triage_names_everything_missing(grc):
    incident = file_incident(grc, detection_source="")
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.TRIAGED)
    assert refused.value.message == (
        "Triage needs a severity, at least one affected AI system, a detection source."
    )
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED and incident.triaged_at is None


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("severity", "Triage needs a severity."),
        ("system", "Triage needs at least one affected AI system."),
        ("detection_source", "Triage needs a detection source."),
    ],
)
def test_triage_refuses_each_missing_fact(missing, message, grc, system):
    incident = file_incident(
        grc,
        systems=[] if missing == "system" else [system],
        severity=None if missing == "severity" else Severity.P2,
        severity_reason="Subset",
        detection_source="" if missing == "detection_source" else "monitoring",
    )
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.TRIAGED)
    assert refused.value.message == message


# --- guard 1: preserve first, and the containment decision -----------------------------------------


def triaged_without_evidence(grc, system):
    incident = file_incident(grc, systems=[system], severity=Severity.P1, severity_reason="Bias")
    return move(incident, grc, Status.TRIAGED)


def test_contained_needs_evidence_and_a_containment_decision(grc, system):
    incident = triaged_without_evidence(grc, system)
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.CONTAINED)
    assert refused.value.message.startswith("Preserve evidence first")
    assert "Record the containment decision first" in refused.value.message


def test_contained_with_evidence_still_needs_the_decision(grc, system):
    incident = triaged_without_evidence(grc, system)
    add_evidence(incident, grc)
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.CONTAINED)
    assert "Preserve evidence first" not in refused.value.message
    assert refused.value.message.startswith("Record the containment decision first")


def test_contained_with_evidence_and_decision_succeeds(grc, system):
    incident = triaged_without_evidence(grc, system)
    add_evidence(incident, grc)
    services.containment_decide(
        actor=grc, incident=incident, option=ContainmentOption.NONE_NEEDED, rationale="No traffic."
    )
    assert move(incident, grc, Status.CONTAINED).status == Status.CONTAINED


def test_an_approved_waiver_stands_in_for_evidence(grc, users, system):
    incident = triaged_without_evidence(grc, system)
    services.evidence_waiver_approve(
        actor=users["risk_officer"],
        incident=incident,
        reason="Live harm to customers: reroute now, logs are retained upstream for 30 days.",
    )
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.CONTAINED)
    assert refused.value.message.startswith("Record the containment decision first")
    decision = services.containment_decide(
        actor=grc, incident=incident, option=ContainmentOption.PAUSE, rationale="Human-only."
    )
    assert decision.waiver is not None
    assert move(incident, grc, Status.CONTAINED).status == Status.CONTAINED


# --- guard 3: resolve --------------------------------------------------------------------------------


def without_verification_note(incident, actor):
    return services.incident_update(actor=actor, incident=incident, data={"verification_note": ""})


def test_resolve_needs_a_verification_note(grc, system):
    incident = without_verification_note(incident_at(Status.REMEDIATING, grc, system), grc)
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.RESOLVED)
    assert refused.value.message == (
        "Resolving needs a verification note: how the fix was tested on the failing input types."
    )


def test_resolve_skipping_remediation_needs_a_reason_and_a_verification_note(grc, system):
    incident = without_verification_note(incident_at(Status.INVESTIGATING, grc, system), grc)
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.RESOLVED)
    assert refused.value.message.startswith("This step needs a reason")
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.RESOLVED, reason="Fixed by the vendor, nothing to remediate.")
    assert refused.value.message.startswith("Resolving needs a verification note")


# --- guard 4: close ----------------------------------------------------------------------------------


def test_close_names_everything_missing(grc, system):
    incident = incident_at(Status.RESOLVED, grc, system)
    incident = services.incident_update(
        actor=grc, incident=incident, data={"verification_note": "", "closing_summary": ""}
    )
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.CLOSED)
    assert refused.value.message == "Closing needs a closing summary, a verification note."


@pytest.mark.parametrize("severity", [Severity.P0, Severity.P1])
def test_close_of_p0_p1_needs_the_confirmed_count(severity, grc, system):
    incident = incident_at(Status.RESOLVED, grc, system)
    incident = services.incident_set_severity(
        actor=grc, incident=incident, severity=severity, reason="Scope grew"
    )
    with pytest.raises(GuardFailed) as refused:
        move(incident, grc, Status.CLOSED)
    assert "scope confirmation (the confirmed count of individuals affected)" in (
        refused.value.message
    )
    # A severity change is a fact of the disclosure assessment: legal signs it off again.
    assert "the reopened disclosure assessment signed off by legal again" in refused.value.message
    incident = services.incident_update(
        actor=grc, incident=incident, data={"individuals_affected_confirmed": 0}
    )
    sign_off_disclosure(incident, grc)
    assert move(incident, grc, Status.CLOSED).status == Status.CLOSED


def test_close_of_p2_needs_no_confirmed_count(grc, system):
    incident = incident_at(Status.RESOLVED, grc, system)
    assert incident.individuals_affected_confirmed is None
    assert move(incident, grc, Status.CLOSED).status == Status.CLOSED


# --- reasons ---------------------------------------------------------------------------------------

SKIPS = [
    (Status.TRIAGED, Status.INVESTIGATING),
    (Status.INVESTIGATING, Status.RESOLVED),
    (Status.RESOLVED, Status.INVESTIGATING),
    (Status.CLOSED, Status.INVESTIGATING),
    (Status.REPORTED, Status.REJECTED),
    (Status.TRIAGED, Status.REJECTED),
]


def test_moves_that_need_a_reason_are_the_skips_reopens_and_rejections():
    assert {(m.source, m.target) for m in workflow.MOVES if m.needs_reason} == set(SKIPS)


@pytest.mark.parametrize(("source", "target"), SKIPS, ids=[f"{a}->{b}" for a, b in SKIPS])
def test_a_move_that_needs_a_reason_is_refused_without_one(source, target, grc, system):
    incident = incident_at(source, grc, system)
    hint = workflow.move_for(source, target).reason_hint
    for blank in ("", "   "):
        with pytest.raises(GuardFailed) as refused:
            move(incident, grc, target, reason=blank)
        assert refused.value.message == f"This step needs a reason: {hint}"
        assert refused.value.fields == {"reason": ["required"]}
    assert move(incident, grc, target, reason="  Recorded reason  ").status == target
    entry = incident.timeline.filter(kind=TimelineKind.STATUS).order_by("-at", "-id").first()
    assert entry.data["reason"] == "Recorded reason"


def test_reject_keeps_its_reason(grc, system):
    incident = incident_at(Status.REPORTED, grc, system)
    incident = move(incident, grc, Status.REJECTED, reason="A user misunderstanding, not AI.")
    incident.refresh_from_db()
    assert incident.rejection_reason == "A user misunderstanding, not AI."


# --- milestones ------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_each_move_stamps_its_milestone_at_the_time_it_was_made(grc, system):
    with time_machine.travel(T0, tick=False) as clock:
        incident = ready_incident(grc, system)
        sign_off_disclosure(incident, grc)
        decide_no_capa(incident, grc)
        assert incident.evidence_preserved_at == T0
        for step, milestone in [
            (Status.TRIAGED, "triaged_at"),
            (Status.CONTAINED, "contained_at"),
            (Status.INVESTIGATING, None),
            (Status.REMEDIATING, None),
            (Status.RESOLVED, "resolved_at"),
            (Status.CLOSED, "closed_at"),
        ]:
            clock.shift(timedelta(hours=1))
            incident = move(incident, grc, step)
            if milestone:
                assert getattr(incident, milestone) == datetime.now(UTC)
    incident.refresh_from_db()
    assert incident.triaged_at == T0 + timedelta(hours=1)
    assert incident.contained_at == T0 + timedelta(hours=2)
    assert incident.resolved_at == T0 + timedelta(hours=5)
    assert incident.closed_at == T0 + timedelta(hours=6)


def test_reopen_clears_resolved_and_closed(grc, system):
    incident = incident_at(Status.CLOSED, grc, system)
    assert incident.resolved_at and incident.closed_at
    triaged_at, contained_at = incident.triaged_at, incident.contained_at
    incident = move(incident, grc, Status.INVESTIGATING, reason="The failure came back.")
    incident.refresh_from_db()
    assert (incident.resolved_at, incident.closed_at) == (None, None)
    assert (incident.triaged_at, incident.contained_at) == (triaged_at, contained_at)


def test_reopening_a_resolved_incident_clears_resolved(grc, system):
    incident = incident_at(Status.RESOLVED, grc, system)
    assert incident.resolved_at is not None
    incident = move(incident, grc, Status.INVESTIGATING, reason="Fix did not hold.")
    incident.refresh_from_db()
    assert incident.resolved_at is None


# --- who may move the lifecycle ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["grc", "risk_officer"])
def test_managers_move_the_lifecycle(role, users, system):
    incident = incident_at(Status.REPORTED, users["grc"], system)
    assert move(incident, users[role], Status.TRIAGED).status == Status.TRIAGED


def test_the_incident_lead_moves_the_lifecycle(users, make_user, system):
    lead = make_user("engineer")
    incident = incident_at(Status.REPORTED, users["grc"], system)
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=lead)
    assert move(incident, lead, Status.TRIAGED).status == Status.TRIAGED


@pytest.mark.parametrize(
    "role", ["engineer", "auditor", "executive", "dpo", "legal", "ciso", "ethics"]
)
def test_other_roles_do_not_move_the_lifecycle(role, users, system):
    # The engineer owns the system and may see the incident; still not the lead.
    incident = incident_at(Status.REPORTED, users["grc"], system)
    with pytest.raises(PermissionRefused) as refused:
        move(incident, users[role], Status.TRIAGED)
    assert "incident lead" in refused.value.message
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


def test_a_former_lead_no_longer_moves_the_lifecycle(users, make_user, system):
    first, second = make_user("engineer"), make_user("engineer")
    incident = incident_at(Status.REPORTED, users["grc"], system)
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=first)
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=second)
    with pytest.raises(PermissionRefused):
        move(incident, first, Status.TRIAGED)
    assert move(incident, second, Status.TRIAGED).status == Status.TRIAGED
