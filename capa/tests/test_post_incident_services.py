"""The post-incident review through its services: opened when the incident closes (once), due
10 business days later on the business calendar, escalating once when overdue, written by the
incident's managers, approved only by the AI risk officer, frozen when submitted."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aims.clocks.choices import ClockState
from aims.clocks.models import BusinessCalendar
from aims.clocks.services import clocks_of, clocks_tick
from aims.core.concurrency import version_of
from aims.core.exceptions import Conflict, GuardFailed, PermissionRefused, StaleVersion
from aims.notify.models import Delivery
from capa import services
from capa.choices import ActionSource, ActionType, Horizon, ReviewStatus, ReviewUpdateKind
from capa.models import PostIncidentReview
from incidents import services as incident_services
from incidents.choices import Status, TimelineKind
from incidents.models import TimelineEntry

from .pir_factories import LESSONS, closed_incident, review_for, submitted_review

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
BEFORE_CHRISTMAS = datetime(2026, 12, 17, 10, 0, tzinfo=UTC)  # a Thursday


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


def review_clocks(review):
    return clocks_of(review.incident).filter(kind="post_incident_review")


def running_clock(review):
    return review_clocks(review).get(state__in=["running", "breached"], met_at__isnull=True)


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def system(make_system):
    return make_system()


def test_closing_an_incident_opens_its_review_with_a_running_clock(grc, system):
    incident = closed_incident(grc, system)
    review = review_for(incident)
    assert review.reference.startswith("PIR-")
    assert review.status == ReviewStatus.DRAFT
    clock = running_clock(review)  # the incident's own review clock: the review's deadline
    assert clock.state == ClockState.RUNNING
    assert clock.due_at == review.due_at
    assert TimelineEntry.objects.filter(
        incident=incident, summary__startswith=f"Post-incident review {review.reference} opened"
    ).exists()


def test_an_incident_not_closed_has_no_review(grc, system):
    from incidents.tests.factories import incident_at

    incident = incident_at(Status.RESOLVED, grc, system)
    assert not PostIncidentReview.objects.filter(incident=incident).exists()


def test_due_ten_business_days_later_over_two_weekends(grc, system):
    review = review_for(closed_incident(grc, system, at=MONDAY))
    assert review.due_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_due_date_skips_the_weekends_and_the_bank_holidays(grc, system):
    # England: Christmas (Fri 25), Boxing Day substitute (Mon 28), New Year's Day (Fri 1).
    review = review_for(closed_incident(grc, system, at=BEFORE_CHRISTMAS))
    assert review.due_at == datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def test_reopening_keeps_the_one_review_and_closing_again_opens_no_second(grc, system):
    incident = closed_incident(grc, system)
    review = review_for(incident)
    incident = incident_services.incident_transition(
        actor=grc, incident=incident, to=Status.INVESTIGATING, reason="Recurred after closure."
    )
    assert review_for(incident).pk == review.pk
    assert not review_clocks(review).filter(state__in=["running", "breached"]).exists()
    later = datetime.now(UTC) + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        for step in (Status.REMEDIATING, Status.RESOLVED, Status.CLOSED):
            incident = incident_services.incident_transition(
                actor=grc, incident=incident, to=step, reason="Fixed again."
            )
    assert PostIncidentReview.objects.filter(incident=incident).count() == 1
    reopened = review_for(incident)
    assert reopened.due_at == running_clock(reopened).due_at > review.due_at


def test_closing_again_after_approval_meets_the_restarted_clock(grc, system, users):
    review = submitted_review(grc, system)
    review = services.review_approve(actor=users["risk_officer"], review=review, comment="Ok.")
    incident = incident_services.incident_transition(
        actor=grc, incident=review.incident, to=Status.INVESTIGATING, reason="Recurred."
    )
    for step in (Status.REMEDIATING, Status.RESOLVED, Status.CLOSED):
        incident = incident_services.incident_transition(
            actor=grc, incident=incident, to=step, reason="Fixed again."
        )
    assert review_for(incident).status == ReviewStatus.APPROVED
    assert not review_clocks(review).filter(state__in=["running", "breached"]).exists()


def test_an_overdue_review_escalates_exactly_once(grc, system, users):
    review = review_for(closed_incident(grc, system, at=MONDAY))
    clock = running_clock(review)
    after_due = review.due_at + timedelta(minutes=5)
    assert not Delivery.objects.filter(clock=clock, step_key__startswith="escalation").exists()
    clocks_tick(now=after_due)
    clocks_tick(now=after_due + timedelta(minutes=5))
    first = Delivery.objects.filter(clock=clock, step_key="escalation-1")
    assert [d.recipient.username for d in first] == ["risk_officer"]  # once, however many ticks
    next_day = after_due + timedelta(days=1)
    clocks_tick(now=next_day)
    clocks_tick(now=next_day + timedelta(minutes=5))
    second = [
        d.recipient.username for d in Delivery.objects.filter(clock=clock, step_key="escalation-2")
    ]
    assert "grc" in second and len(second) == len(set(second))  # GRC staff a day later, once
    assert Delivery.objects.filter(clock=clock, step_key="escalation-1").count() == 1
    clock.refresh_from_db()
    assert clock.state == ClockState.BREACHED


def test_an_approved_review_meets_its_clock_and_no_longer_escalates(grc, system, users):
    review = submitted_review(grc, system)
    review = services.review_approve(actor=users["risk_officer"], review=review, comment="Sound.")
    clock = review_clocks(review).get()
    assert clock.state == ClockState.MET
    clocks_tick(now=review.due_at + timedelta(days=3))
    assert not Delivery.objects.filter(clock=clock).exists()


@pytest.mark.parametrize("role", ["grc", "engineer", "auditor", "ciso", "dpo"])
def test_only_the_risk_officer_approves(role, grc, system, users):
    review = submitted_review(grc, system)
    with pytest.raises(PermissionRefused):
        services.review_approve(actor=users[role], review=review, comment="Looks fine.")
    assert review_for(review.incident).status == ReviewStatus.SUBMITTED


def test_the_risk_officer_approves_with_a_recorded_comment(grc, system, users):
    review = submitted_review(grc, system)
    officer = users["risk_officer"]
    review = services.review_approve(actor=officer, review=review, comment="Lessons accepted.")
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED
    assert (review.approved_by, review.approval_comment) == (officer, "Lessons accepted.")
    assert review.history.filter(status="approved", history_user=officer).exists()
    assert TimelineEntry.objects.filter(
        incident=review.incident, kind=TimelineKind.APPROVAL, summary__contains="Lessons accepted."
    ).exists()


def test_approval_needs_a_comment(grc, system, users):
    review = submitted_review(grc, system)
    with pytest.raises(GuardFailed):
        services.review_approve(actor=users["risk_officer"], review=review, comment=" ")


def test_returned_review_is_edited_and_submitted_again(grc, system, users):
    review = submitted_review(grc, system)
    review = services.review_return(
        actor=users["risk_officer"], review=review, comment="Name the failed control owner."
    )
    assert review.status == ReviewStatus.RETURNED
    assert review.return_comment == "Name the failed control owner."
    services.review_update(
        actor=grc, review=review, data={"controls_failed": "Retraining gate (owner: ML lead)."}
    )
    review = services.review_submit(actor=grc, review=review)
    assert review.status == ReviewStatus.SUBMITTED


def test_submitting_needs_the_lessons(grc, system):
    review = review_for(closed_incident(grc, system))
    with pytest.raises(GuardFailed) as caught:
        services.review_submit(actor=grc, review=review)
    assert "controls that failed" in caught.value.message
    services.review_update(actor=grc, review=review, data={**LESSONS, "process_notes": ""})
    with pytest.raises(GuardFailed) as caught:
        services.review_submit(actor=grc, review=review)
    assert "why the process was not fully followed" in caught.value.message


def test_a_submitted_review_is_not_edited(grc, system):
    review = submitted_review(grc, system)
    with pytest.raises(Conflict):
        services.review_update(actor=grc, review=review, data={"caught_sooner": "Other."})


def test_a_stale_version_is_refused(grc, system):
    review = review_for(closed_incident(grc, system))
    stale = version_of(review)
    services.review_update(actor=grc, review=review, data={"caught_sooner": "Segment evals."})
    with pytest.raises(StaleVersion):
        services.review_update(
            actor=grc, review=review, data={"caught_sooner": "Other."}, expected_version=stale
        )


@pytest.mark.parametrize("role", ["engineer", "auditor", "executive", "legal"])
def test_reading_roles_do_not_write_the_review(role, grc, system, users):
    review = review_for(closed_incident(grc, system))
    with pytest.raises(PermissionRefused):
        services.review_update(actor=users[role], review=review, data={"caught_sooner": "x"})


def test_the_incident_lead_writes_and_submits_the_review(grc, system, users, make_user):
    lead = make_user("engineer", username="the-lead")
    from incidents.tests.factories import ready_incident, ready_to_close

    incident = ready_incident(grc, system)
    incident_services.incident_assign_lead(actor=grc, incident=incident, lead=lead)
    ready_to_close(incident, grc)
    for step in (
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
        Status.RESOLVED,
        Status.CLOSED,
    ):
        incident = incident_services.incident_transition(
            actor=grc, incident=incident, to=step, reason="Step."
        )
    review = review_for(incident)
    assert running_clock(review).owner == lead
    services.review_update(actor=lead, review=review, data=LESSONS)
    assert services.review_submit(actor=lead, review=review).status == ReviewStatus.SUBMITTED
    with pytest.raises(PermissionRefused):
        services.review_approve(actor=lead, review=review, comment="Mine.")


def test_a_process_update_is_raised_as_a_capa_of_the_incident(grc, system, users):
    review = review_for(closed_incident(grc, system))
    due = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    action = services.review_raise_capa(
        actor=grc,
        review=review,
        update_kind=ReviewUpdateKind.PROCESS,
        data={
            "action_type": ActionType.PREVENTIVE,
            "title": "Segment-level evaluation gate",
            "description": "Block a retrain that worsens any postcode segment.",
            "horizon": Horizon.LONG_TERM,
            "owner": users["engineer"],
            "due_at": due,
        },
    )
    capa = action.capa
    assert capa.reference.startswith("CAPA-")
    assert (capa.action_type, capa.source, capa.owner, capa.due_at) == (
        ActionType.PREVENTIVE,
        ActionSource.INCIDENT,
        users["engineer"],
        due,
    )
    assert list(capa.incidents.all()) == [review.incident]
    assert review.reference in capa.source_detail


def test_a_review_capa_needs_an_owner_a_deadline_and_a_corrective_or_preventive_type(
    grc, system, users
):
    from aims.core.exceptions import ValidationFailed

    review = review_for(closed_incident(grc, system))
    base = {
        "action_type": ActionType.CORRECTIVE,
        "title": "t",
        "description": "d",
        "horizon": Horizon.SHORT_TERM,
        "owner": users["engineer"],
        "due_at": datetime(2027, 2, 1, tzinfo=UTC),
    }
    for broken in ({"due_at": None}, {"owner": None}, {"action_type": ActionType.CORRECTION}):
        with pytest.raises(ValidationFailed):
            services.review_raise_capa(
                actor=grc, review=review, update_kind="policy", data={**base, **broken}
            )
    with pytest.raises(PermissionRefused):
        services.review_raise_capa(
            actor=users["auditor"], review=review, update_kind="policy", data=base
        )


def test_the_snapshot_freezes_what_was_approved(grc, system, users):
    review = submitted_review(grc, system)
    review = services.review_approve(actor=users["risk_officer"], review=review, comment="Ok.")
    frozen = review_for(review.incident).snapshot
    # A later change in the inventory does not change the approved review.
    from inventory import services as inventory_services

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1)):
        inventory_services.system_update(
            actor=grc, system=system, data={"validation_status": "in_validation"}
        )
    from capa import selectors

    fresh = review_for(review.incident)
    assert fresh.snapshot == frozen
    assert selectors.review_facts(fresh)["documentation"] == frozen["documentation"]
    assert selectors.review_computed(fresh)["documentation"] != frozen["documentation"]
