"""Root cause, scope, remediation and recurrence through the real services: what confirming
needs, who may do what, the arithmetic that must add up, and recurrence detection."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aims.core.exceptions import Conflict, GuardFailed, PermissionRefused, ValidationFailed
from capa import selectors, services
from capa.choices import RootCauseStatus, ScopeStatus
from capa.models import Recurrence, RecurrencePolicy, ScopeConfirmation
from incidents import services as incident_services
from incidents.choices import Severity, Status, TimelineKind
from incidents.filters import IncidentFilter
from incidents.models import Incident
from incidents.tests.factories import (
    add_evidence,
    confirm_root_cause,
    confirm_scope,
    file_incident,
    incident_at,
    ready_incident,
    review_risks_no_change,
    sign_off_disclosure,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(make_system):
    return make_system(name="Loan scoring")


@pytest.fixture
def incident(users, system):
    incident = file_incident(users["grc"], systems=[system], severity=2, severity_reason="Subset")
    add_evidence(incident, users["grc"])
    return incident


def propose(incident, actor, category="distribution_shift"):
    return services.root_cause_propose(
        actor=actor,
        incident=incident,
        category=category,
        statement="Applicants from a new region are outside the training data.",
    )


def analyse(cause, actor, *, outcome="supports"):
    services.why_add(
        actor=actor,
        root_cause=cause,
        question="Why did scores fall?",
        answer="The income feature shifted.",
    )
    services.diagnostic_add(
        actor=actor,
        root_cause=cause,
        method="input_distribution",
        description="PSI of every input against the training data.",
        result="PSI 0.31 on income.",
        outcome=outcome,
    )
    services.evidence_link(
        actor=actor, root_cause=cause, evidence=cause.incident.evidence.first(), note="PSI export"
    )


# --- confirming ------------------------------------------------------------------------------


def test_confirming_needs_whys_a_supporting_diagnostic_and_evidence(incident, users):
    cause = propose(incident, users["grc"])
    with pytest.raises(GuardFailed) as refused:
        services.root_cause_confirm(actor=users["grc"], root_cause=cause)
    assert refused.value.message == (
        "Confirming needs the five-whys chain (at least one why and its answer), a diagnostic "
        "whose result supports this cause, confirming evidence (a link to one of the incident's "
        "evidence items)."
    )
    analyse(cause, users["grc"])
    confirmed = services.root_cause_confirm(actor=users["grc"], root_cause=cause)
    assert confirmed.status == RootCauseStatus.CONFIRMED
    assert confirmed.confirmed_by == users["grc"] and confirmed.confirmed_at is not None
    incident.refresh_from_db()
    assert incident.root_cause_confirmed_at == confirmed.confirmed_at
    entry = incident.timeline.filter(kind=TimelineKind.DECISION).latest("at", "id")
    assert entry.summary.startswith("Root cause confirmed — Data distribution shift:")


def test_a_refuting_diagnostic_does_not_confirm(incident, users):
    cause = propose(incident, users["grc"])
    analyse(cause, users["grc"], outcome="refutes")
    with pytest.raises(GuardFailed, match="a diagnostic whose result supports this cause"):
        services.root_cause_confirm(actor=users["grc"], root_cause=cause)


def test_one_confirmed_root_cause_others_ruled_out_with_a_reason(incident, users):
    first, second = propose(incident, users["grc"]), propose(incident, users["grc"], "other")
    analyse(first, users["grc"])
    analyse(second, users["grc"])
    services.root_cause_confirm(actor=users["grc"], root_cause=first)
    with pytest.raises(Conflict, match="already has a confirmed root cause"):
        services.root_cause_confirm(actor=users["grc"], root_cause=second)
    with pytest.raises(ValidationFailed, match="Say why this cause was ruled out"):
        services.root_cause_rule_out(actor=users["grc"], root_cause=second, reason="  ")
    ruled_out = services.root_cause_rule_out(
        actor=users["grc"], root_cause=second, reason="The eval set shows no change."
    )
    assert ruled_out.status == RootCauseStatus.RULED_OUT
    with pytest.raises(Conflict, match="was ruled out already"):
        services.why_add(actor=users["grc"], root_cause=second, question="Why?", answer="No.")
    assert [c.status for c in selectors.root_causes_of(incident)] == ["confirmed", "ruled_out"]


def test_whys_are_numbered_in_order(incident, users):
    cause = propose(incident, users["grc"])
    for n in range(3):
        services.why_add(actor=users["grc"], root_cause=cause, question=f"Why {n}?", answer="A.")
    assert list(cause.whys.values_list("position", "question")) == [
        (1, "Why 0?"),
        (2, "Why 1?"),
        (3, "Why 2?"),
    ]


def test_only_the_incidents_own_evidence_can_be_linked(incident, users, system):
    other = file_incident(users["grc"], systems=[system])
    foreign = add_evidence(other, users["grc"], content=b"other,incident\n", name="other.csv")
    cause = propose(incident, users["grc"])
    with pytest.raises(ValidationFailed, match="belongs to another one"):
        services.evidence_link(actor=users["grc"], root_cause=cause, evidence=foreign)
    services.evidence_link(actor=users["grc"], root_cause=cause, evidence=incident.evidence.first())
    with pytest.raises(ValidationFailed, match="linked to this root cause already"):
        services.evidence_link(
            actor=users["grc"], root_cause=cause, evidence=incident.evidence.first()
        )


# --- who may do what -------------------------------------------------------------------------


def test_engineers_add_diagnostics_and_evidence_for_systems_they_own(
    incident, users, make_user, make_system
):
    cause = propose(incident, users["grc"])
    owner = users["engineer"]  # business owner of every system made by make_system
    services.diagnostic_add(
        actor=owner,
        root_cause=cause,
        method="input_distribution",
        description="PSI check",
        result="Shifted",
        outcome="supports",
    )
    services.evidence_link(actor=owner, root_cause=cause, evidence=incident.evidence.first())
    stranger = make_user("engineer")
    with pytest.raises(PermissionRefused, match="engineers who own an affected system"):
        services.diagnostic_add(
            actor=stranger,
            root_cause=cause,
            method="other",
            description="x",
            result="y",
            outcome="inconclusive",
        )
    # Owning the system does not make an engineer the one who confirms or writes the analysis.
    with pytest.raises(PermissionRefused, match="confirm or rule out a root cause"):
        services.root_cause_confirm(actor=owner, root_cause=cause)
    with pytest.raises(PermissionRefused, match="write the root-cause analysis"):
        services.why_add(actor=owner, root_cause=cause, question="Why?", answer="Because.")


def test_the_incident_lead_confirms(incident, users, make_user):
    lead = make_user("engineer")
    incident = incident_services.incident_assign_lead(
        actor=users["grc"], incident=incident, lead=lead
    )
    cause = propose(incident, lead)
    analyse(cause, lead)
    assert services.root_cause_confirm(actor=lead, root_cause=cause).confirmed_by == lead
    for role in ("auditor", "dpo", "legal", "executive"):
        with pytest.raises(PermissionRefused):
            propose(incident, users[role])


# --- scope ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lower_bound": 41}, "lower_bound"),
        ({"upper_bound": 39}, "upper_bound"),
        ({"upper_bound": 1001}, "upper_bound"),
        ({"sample_failures": 101}, "sample_failures"),
        ({"sample_size": 1001, "upper_bound": 55}, "sample_size"),
    ],
)
def test_scope_bounds_must_hold(change, field, incident, users):
    with pytest.raises(ValidationFailed) as refused:
        confirm_scope(incident, users["grc"], **change)
    assert field in refused.value.fields
    assert not ScopeConfirmation.objects.exists()


def test_an_estimate_says_what_is_uncertain_and_stays_an_estimate(incident, users):
    with pytest.raises(ValidationFailed, match="An estimate says what is uncertain"):
        confirm_scope(incident, users["grc"], confirm=False, uncertainty_note="")
    scope = confirm_scope(incident, users["grc"], confirm=False)
    assert scope.status == ScopeStatus.ESTIMATE and scope.confirmed_by is None
    incident.refresh_from_db()
    assert incident.individuals_affected_estimate == 40
    assert incident.individuals_affected_confirmed is None


def test_confirmed_scope_goes_to_the_record_and_is_never_an_estimate_again(incident, users):
    confirm_scope(incident, users["grc"], confirm=False)
    scope = confirm_scope(incident, users["grc"])
    assert scope.status == ScopeStatus.CONFIRMED and scope.confirmed_by == users["grc"]
    assert str(scope.percentage) == "4.000"
    incident.refresh_from_db()
    assert (
        incident.individuals_affected_confirmed,
        incident.individuals_affected_lower,
        incident.individuals_affected_upper,
        str(incident.decisions_affected_pct),
    ) == (40, 30, 55, "4.000")
    with pytest.raises(Conflict, match="record a corrected confirmation"):
        confirm_scope(incident, users["grc"], confirm=False)
    corrected = confirm_scope(incident, users["grc"], confirmed_count=42)
    assert corrected.confirmed_count == 42
    assert scope.history.count() == 3


def test_only_the_incident_managers_record_scope(incident, users):
    for role in ("engineer", "auditor", "dpo"):
        with pytest.raises(PermissionRefused, match="record or confirm the incident's scope"):
            confirm_scope(incident, users[role])


# --- remediation ------------------------------------------------------------------------------


def test_reprocessing_counts_must_add_up(incident, users):
    grc = users["grc"]
    with pytest.raises(ValidationFailed, match="More cases cannot be re-processed"):
        services.reprocessing_update(
            actor=grc,
            incident=incident,
            affected_cases=5,
            reprocessed_cases=6,
            outcome_changed_cases=0,
        )
    with pytest.raises(ValidationFailed, match="only for a case that was re-processed"):
        services.reprocessing_update(
            actor=grc,
            incident=incident,
            affected_cases=5,
            reprocessed_cases=2,
            outcome_changed_cases=3,
        )
    with pytest.raises(ValidationFailed) as refused:
        services.reprocessing_update(
            actor=grc,
            incident=incident,
            affected_cases=40,
            reprocessed_cases=30,
            outcome_changed_cases=12,
            remaining_cases=9,
        )
    assert refused.value.message == (
        "The counts do not add up: 40 affected − 30 re-processed leaves 10 remaining, not 9."
    )
    plan = services.reprocessing_update(
        actor=grc,
        incident=incident,
        affected_cases=40,
        reprocessed_cases=30,
        outcome_changed_cases=12,
        remaining_cases=10,
    )
    assert plan.remaining_cases == 10
    assert incident.timeline.filter(summary__startswith="Re-processing: 30 of 40").exists()


def test_normal_operation_needs_the_verification_of_the_fix_first(incident, users):
    grc = users["grc"]
    with pytest.raises(GuardFailed) as refused:
        services.normal_operation_restore(actor=grc, incident=incident, note="Traffic back.")
    assert "only after the fix was verified on the failing input types" in refused.value.message
    services.fix_verify(
        actor=grc, incident=incident, verification="Replayed the 40 failing applications."
    )
    plan = services.normal_operation_restore(actor=grc, incident=incident, note="Traffic back.")
    assert plan.restored_at is not None and plan.restored_by == grc
    with pytest.raises(Conflict):
        services.normal_operation_restore(actor=grc, incident=incident, note="Again.")


def test_plan_items_in_horizons_done_by_their_owner(incident, users, make_user):
    owner = make_user("engineer")
    item = services.remediation_item_add(
        actor=users["grc"],
        incident=incident,
        horizon="immediate",
        kind="rollback",
        description="Roll back to v1 and replay the failing inputs.",
        owner=owner,
        due_on=timezone.localdate() + timedelta(days=2),
    )
    with pytest.raises(PermissionRefused, match="item's owner"):
        services.remediation_item_done(actor=users["dpo"], item=item)
    done = services.remediation_item_done(actor=owner, item=item, note="Rolled back at 10:00.")
    assert done.done_by == owner and done.done_at is not None
    with pytest.raises(Conflict):
        services.remediation_item_done(actor=owner, item=item)
    with pytest.raises(PermissionRefused):
        services.remediation_item_add(
            actor=owner,
            incident=incident,
            horizon="long_term",
            kind="other",
            description="x",
            owner=owner,
            due_on=timezone.localdate(),
        )


# --- recurrence ---------------------------------------------------------------------------------


def _incident_detected(users, system, days_ago):
    incident = file_incident(
        users["grc"], systems=[system], detected_at=timezone.now() - timedelta(days=days_ago)
    )
    add_evidence(incident, users["grc"])
    return incident


def test_same_system_same_category_within_the_window_is_a_recurrence(users, system):
    earlier = _incident_detected(users, system, 60)
    later = _incident_detected(users, system, 1)
    confirm_root_cause(earlier, users["grc"], category="distribution_shift")
    confirm_root_cause(later, users["grc"], category="distribution_shift")
    (link,) = selectors.recurrences_of(later)
    assert (link.earlier_incident, link.later_incident) == (earlier, later)
    assert (link.days_apart, link.window_days, link.system) == (59, 90, system)
    assert list(selectors.recurrences_of(earlier)) == [link]
    for incident, other in ((earlier, later), (later, earlier)):
        entry = incident.timeline.filter(summary__startswith="Recurrence:").get()
        assert other.reference in entry.summary
    flagged = IncidentFilter({"recurrence": "true"}, queryset=Incident.objects.all()).qs
    assert set(flagged) == {earlier, later}
    clean = IncidentFilter({"recurrence": "false"}, queryset=Incident.objects.all()).qs
    assert not set(clean) & {earlier, later}


def test_no_recurrence_outside_the_window_or_for_another_category(users, system, make_system):
    policy = RecurrencePolicy.objects.get()
    policy.window_days = 30
    policy.save()
    old = _incident_detected(users, system, 60)
    other_category = _incident_detected(users, system, 10)
    other_system = _incident_detected(users, make_system(name="Chat"), 5)
    confirm_root_cause(old, users["grc"], category="distribution_shift")
    confirm_root_cause(other_category, users["grc"], category="oversight_failure")
    confirm_root_cause(other_system, users["grc"], category="distribution_shift")
    assert not Recurrence.objects.exists()
    # Positive control: the same category on the same system within 30 days does recur.
    recent = _incident_detected(users, system, 1)
    confirm_root_cause(recent, users["grc"], category="oversight_failure")
    assert Recurrence.objects.get().earlier_incident == other_category


# --- closure ------------------------------------------------------------------------------------


def test_closing_needs_a_confirmed_root_cause(users, system):
    grc = users["grc"]
    incident = ready_incident(grc, system)
    sign_off_disclosure(incident, grc)
    for step in (
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
        Status.RESOLVED,
    ):
        incident = incident_services.incident_transition(actor=grc, incident=incident, to=step)
    services.no_capa_decide(actor=grc, incident=incident, reason="Covered by the vendor's fix")
    review_risks_no_change(incident)
    with pytest.raises(GuardFailed) as refused:
        incident_services.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert refused.value.message == "Closing needs a confirmed root cause."
    confirm_root_cause(incident, grc)
    closed = incident_services.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert closed.status == Status.CLOSED


def test_a_p1_closes_only_with_the_scope_confirmed_not_estimated(users, system):
    grc = users["grc"]
    incident = incident_at(Status.RESOLVED, grc, system)
    incident = incident_services.incident_set_severity(
        actor=grc, incident=incident, severity=Severity.P1, reason="Wider than thought"
    )
    sign_off_disclosure(incident, grc)
    confirm_scope(incident, grc, confirm=False)
    with pytest.raises(GuardFailed) as refused:
        incident_services.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert "the scope confirmed for a P0/P1 incident (only a best estimate is recorded)" in (
        refused.value.message
    )
    confirm_scope(incident, grc)
    closed = incident_services.incident_transition(actor=grc, incident=incident, to=Status.CLOSED)
    assert closed.status == Status.CLOSED
