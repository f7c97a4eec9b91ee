"""The CAPA and finding lifecycles: the tables against the design, every pair of statuses, each
guard both ways, and who may make each move."""

import itertools

import pytest

from aims.core.exceptions import GuardFailed, InvalidTransition, PermissionRefused
from capa import services, workflow
from capa.choices import ActionStatus, CheckResult, FindingClassification, FindingStatus

from .factories import capa_at, capa_data, proof, raise_capa

pytestmark = pytest.mark.django_db

S = ActionStatus
ALLOWED = {(m.source, m.target) for m in workflow.CAPA_LIFECYCLE.moves}
PAIRS = list(itertools.product(S, S))


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def owner(users):
    return users["engineer"]


def test_the_table_is_the_designed_lifecycle():
    assert {
        (S.OPEN, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.IMPLEMENTED),
        (S.IMPLEMENTED, S.IN_PROGRESS),
        (S.IMPLEMENTED, S.VERIFIED_EFFECTIVE),
        (S.IMPLEMENTED, S.INEFFECTIVE),
        (S.OPEN, S.CANCELLED),
        (S.IN_PROGRESS, S.CANCELLED),
        (S.IMPLEMENTED, S.CANCELLED),
    } == ALLOWED
    assert {(m.source, m.target) for m in workflow.CAPA_LIFECYCLE.moves if m.needs_reason} == {
        (S.IMPLEMENTED, S.IN_PROGRESS),
        (S.OPEN, S.CANCELLED),
        (S.IN_PROGRESS, S.CANCELLED),
        (S.IMPLEMENTED, S.CANCELLED),
    }


def _ready_for(capa, target, grc, owner):
    """Meet the guards of the move to ``target`` the designed way."""
    if target == S.IMPLEMENTED and capa.status == S.IN_PROGRESS:
        services.capa_evidence_add(actor=owner, capa=capa, uploaded_file=proof())
    if target == S.VERIFIED_EFFECTIVE:
        services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.PASSED)
    elif target == S.INEFFECTIVE:
        services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.FAILED)
        services.capa_create(
            actor=grc,
            data=capa_data(owner, title="Next attempt", follows=capa),
            incidents=list(capa.incidents.all()),
        )


@pytest.mark.parametrize(
    ("source", "target"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS]
)
def test_every_pair_of_statuses(source, target, grc, owner):
    capa = capa_at(source, actor=grc, owner=owner)
    assert capa.status == source
    if (source, target) in ALLOWED:
        _ready_for(capa, target, grc, owner)
        actor = owner if target in (S.IN_PROGRESS, S.IMPLEMENTED) else grc
        moved = services.capa_transition(actor=actor, capa=capa, to=target, reason="Because.")
        capa.refresh_from_db()
        assert moved.status == capa.status == target
    else:
        with pytest.raises(InvalidTransition) as refused:
            services.capa_transition(actor=grc, capa=capa, to=target, reason="Because.")
        assert f"cannot move from {source} to {target}" in refused.value.message
        capa.refresh_from_db()
        assert capa.status == source


def test_implemented_needs_closure_evidence_or_a_note(grc, owner):
    capa = capa_at(S.IN_PROGRESS, actor=grc, owner=owner)
    with pytest.raises(GuardFailed) as refused:
        services.capa_transition(actor=owner, capa=capa, to=S.IMPLEMENTED)
    assert "closure evidence" in refused.value.message
    services.capa_evidence_add(actor=owner, capa=capa, uploaded_file=proof())
    assert (
        services.capa_transition(actor=owner, capa=capa, to=S.IMPLEMENTED).status == S.IMPLEMENTED
    )


def test_verified_effective_needs_a_passed_check_after_implementation(grc, owner, users):
    capa = capa_at(S.IMPLEMENTED, actor=grc, owner=owner)
    with pytest.raises(GuardFailed) as refused:  # planned, no result yet
        services.capa_transition(actor=grc, capa=capa, to=S.VERIFIED_EFFECTIVE)
    assert "passed effectiveness check recorded after" in refused.value.message
    services.effectiveness_check_record(
        actor=users["risk_officer"], capa=capa, result=CheckResult.FAILED
    )
    with pytest.raises(GuardFailed):  # a failed check is no pass
        services.capa_transition(actor=grc, capa=capa, to=S.VERIFIED_EFFECTIVE)


def test_a_check_passed_before_implementation_cannot_be_recorded(grc, owner):
    capa = capa_at(S.IN_PROGRESS, actor=grc, owner=owner)
    services.effectiveness_check_plan(actor=grc, capa=capa, criterion="c", method="m")
    with pytest.raises(GuardFailed) as refused:
        services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.PASSED)
    assert "once the CAPA is implemented" in refused.value.message


def test_a_pass_followed_by_rework_no_longer_counts(grc, owner):
    """Rework clears the implementation; the pass recorded before it is older than the new
    implementation, so verified effective is refused until a new check passes."""
    capa = capa_at(S.IMPLEMENTED, actor=grc, owner=owner)
    services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.PASSED)
    capa = services.capa_transition(
        actor=owner, capa=capa, to=S.IN_PROGRESS, reason="Missed a case"
    )
    capa = services.capa_transition(actor=owner, capa=capa, to=S.IMPLEMENTED)
    with pytest.raises(GuardFailed):
        services.capa_transition(actor=grc, capa=capa, to=S.VERIFIED_EFFECTIVE)


def test_the_verifier_is_never_the_owner_or_implementer(grc, owner, users):
    capa = capa_at(S.IMPLEMENTED, actor=grc, owner=grc)
    with pytest.raises(PermissionRefused) as refused:
        services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.PASSED)
    assert "owner and implementer cannot verify" in refused.value.message
    services.effectiveness_check_record(
        actor=users["risk_officer"], capa=capa, result=CheckResult.PASSED
    )
    with pytest.raises(PermissionRefused):
        services.capa_transition(actor=grc, capa=capa, to=S.VERIFIED_EFFECTIVE)
    moved = services.capa_transition(
        actor=users["risk_officer"], capa=capa, to=S.VERIFIED_EFFECTIVE
    )
    assert moved.status == S.VERIFIED_EFFECTIVE


def test_an_implementer_who_is_a_manager_cannot_verify(users, owner):
    officer = users["risk_officer"]
    capa = capa_at(S.IMPLEMENTED, actor=users["grc"], owner=owner, implementer=officer)
    with pytest.raises(PermissionRefused):
        services.effectiveness_check_record(actor=officer, capa=capa, result=CheckResult.PASSED)


def test_ineffective_needs_a_failed_check_and_a_follow_up(grc, owner):
    capa = capa_at(S.IMPLEMENTED, actor=grc, owner=owner)
    with pytest.raises(GuardFailed) as refused:
        services.capa_transition(actor=grc, capa=capa, to=S.INEFFECTIVE)
    assert "failed effectiveness check" in refused.value.message
    assert "follow-up CAPA" in refused.value.message
    services.effectiveness_check_record(actor=grc, capa=capa, result=CheckResult.FAILED)
    with pytest.raises(GuardFailed) as refused:
        services.capa_transition(actor=grc, capa=capa, to=S.INEFFECTIVE)
    assert refused.value.message.startswith("Ineffective needs a follow-up CAPA")
    follow = services.capa_create(
        actor=grc, data=capa_data(owner, follows=capa), incidents=list(capa.incidents.all())
    )
    assert services.capa_transition(actor=grc, capa=capa, to=S.INEFFECTIVE).status == S.INEFFECTIVE
    assert list(capa.follow_ups.all()) == [follow]


@pytest.mark.parametrize("role", ["dpo", "legal", "ciso", "executive", "auditor", "ethics"])
def test_reading_roles_move_nothing(role, users, grc, owner):
    capa = capa_at(S.OPEN, actor=grc, owner=owner)
    with pytest.raises(PermissionRefused):
        services.capa_transition(actor=users[role], capa=capa, to=S.IN_PROGRESS)
    with pytest.raises(PermissionRefused):
        services.capa_transition(actor=users[role], capa=capa, to="verified_effective")


def test_the_owner_moves_their_capa_but_cannot_cancel_it(grc, owner, make_user):
    other_engineer = make_user("engineer")
    capa = capa_at(S.OPEN, actor=grc, owner=owner)
    with pytest.raises(PermissionRefused):
        services.capa_transition(actor=other_engineer, capa=capa, to=S.IN_PROGRESS)
    capa = services.capa_transition(actor=owner, capa=capa, to=S.IN_PROGRESS)
    with pytest.raises(PermissionRefused):
        services.capa_transition(actor=owner, capa=capa, to=S.CANCELLED, reason="Not needed")
    with pytest.raises(GuardFailed) as refused:
        services.capa_transition(actor=grc, capa=capa, to=S.CANCELLED, reason="  ")
    assert refused.value.fields == {"reason": ["required"]}
    capa = services.capa_transition(actor=grc, capa=capa, to=S.CANCELLED, reason="Superseded")
    assert capa.cancel_reason == "Superseded"


# --- findings ---------------------------------------------------------------------------------


def _finding(grc, classification):
    return services.finding_create(
        actor=grc,
        data={
            "audit_kind": "internal",
            "audit_reference": "IA-2026-02",
            "classification": classification,
            "clause": "10.2",
            "title": "CAPAs closed without effectiveness check",
            "description": "Two CAPAs were closed on paper.",
            "objective_evidence": "CAPA-0001 and CAPA-0002 have no check.",
        },
    )


def test_finding_table():
    F = FindingStatus
    assert {(m.source, m.target) for m in workflow.FINDING_LIFECYCLE.moves} == {
        (F.OPEN, F.IN_TREATMENT),
        (F.OPEN, F.CLOSED),
        (F.IN_TREATMENT, F.CLOSED),
        (F.CLOSED, F.OPEN),
    }


@pytest.mark.parametrize(
    "classification", [FindingClassification.MAJOR, FindingClassification.MINOR]
)
def test_a_nonconformity_closes_only_with_all_its_capas_verified_effective(
    classification, grc, owner, users
):
    finding = _finding(grc, classification)
    assert finding.reference.startswith("FND-")
    with pytest.raises(GuardFailed) as refused:
        services.finding_transition(
            actor=grc, finding=finding, to=FindingStatus.CLOSED, reason="Done"
        )
    assert "needs its CAPAs" in refused.value.message
    with pytest.raises(GuardFailed):
        services.finding_transition(actor=grc, finding=finding, to=FindingStatus.IN_TREATMENT)
    capa = capa_at(
        S.IMPLEMENTED, actor=grc, owner=owner, incidents=[], source="audit_finding", finding=finding
    )
    finding = services.finding_transition(actor=grc, finding=finding, to=FindingStatus.IN_TREATMENT)
    with pytest.raises(GuardFailed) as refused:
        services.finding_transition(actor=grc, finding=finding, to=FindingStatus.CLOSED)
    assert capa.reference in refused.value.message
    services.effectiveness_check_record(
        actor=users["risk_officer"], capa=capa, result=CheckResult.PASSED
    )
    services.capa_transition(actor=users["risk_officer"], capa=capa, to=S.VERIFIED_EFFECTIVE)
    closed = services.finding_transition(actor=grc, finding=finding, to=FindingStatus.CLOSED)
    assert closed.status == FindingStatus.CLOSED and closed.closed_by == grc


@pytest.mark.parametrize(
    "classification", [FindingClassification.OBSERVATION, FindingClassification.OPPORTUNITY]
)
def test_an_observation_closes_with_a_recorded_decision(classification, grc, users):
    finding = _finding(grc, classification)
    with pytest.raises(GuardFailed) as refused:
        services.finding_transition(actor=grc, finding=finding, to=FindingStatus.CLOSED)
    assert "decision recorded" in refused.value.message
    with pytest.raises(PermissionRefused):
        services.finding_transition(
            actor=users["auditor"], finding=finding, to=FindingStatus.CLOSED, reason="Accepted"
        )
    closed = services.finding_transition(
        actor=grc, finding=finding, to=FindingStatus.CLOSED, reason="Accepted: tracked in the SoA."
    )
    assert closed.closure_decision == "Accepted: tracked in the SoA."
    reopened = services.finding_transition(
        actor=grc, finding=finding, to=FindingStatus.OPEN, reason="Seen again"
    )
    assert reopened.status == FindingStatus.OPEN and reopened.closed_at is None


def test_a_closed_finding_takes_no_new_capa(grc, owner):
    finding = _finding(grc, FindingClassification.OBSERVATION)
    services.finding_transition(actor=grc, finding=finding, to=FindingStatus.CLOSED, reason="Noted")
    from aims.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        raise_capa(grc, owner, incidents=[], source="audit_finding", finding=finding)
    assert "is closed" in refused.value.message
