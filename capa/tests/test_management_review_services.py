"""The management review (clause 9.3): inputs compiled from the period's data, frozen when the
review is recorded, the P0/P1 incidents it covered, and its actions raised as CAPAs."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from aims.core.exceptions import GuardFailed, PermissionRefused, ValidationFailed
from capa import selectors, services
from capa.choices import ActionSource, ActionStatus, ManagementReviewStatus
from capa.models import CorrectiveAction, ManagementReviewIncident
from capa.tests.factories import capa_at, capa_data
from incidents.choices import Severity
from incidents.filters import IncidentFilter
from incidents.models import Incident, TimelineEntry
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}
IN_MARCH = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
IN_APRIL = datetime(2026, 4, 5, 9, 0, tzinfo=UTC)
MEETING = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)


def severe(users, when, severity=Severity.P1):
    with time_machine.travel(when, tick=False):
        return file_incident(
            users["grc"],
            severity=severity,
            severity_reason="Many customers affected",
            detected_at=when,
        )


def draft(users, **extra):
    data = {"meeting_date": date(2026, 4, 15), **MARCH, "attendees": [users["executive"]]}
    data.update(extra)
    return services.management_review_create(actor=users["grc"], data=data)


def record(users, review, actor=None):
    services.management_review_update(
        actor=users["grc"], review=review, data={"minutes": "Reviewed the quarter's incidents."}
    )
    with time_machine.travel(MEETING, tick=False):
        return services.management_review_transition(
            actor=actor or users["grc"], review=review, to=ManagementReviewStatus.RECORDED
        )


@pytest.fixture
def march(users):
    """Two P1 and one P0 in March, a P2 in March, a P1 in April (outside the period)."""
    return {
        "p1": severe(users, IN_MARCH),
        "p0": severe(users, IN_MARCH + timedelta(days=5), Severity.P0),
        "p2": severe(users, IN_MARCH + timedelta(days=6), Severity.P2),
        "april": severe(users, IN_APRIL),
    }


def test_inputs_list_the_period_s_p0_p1_incidents_only(users, march):
    with time_machine.travel(MEETING, tick=False):
        inputs = selectors.management_review_inputs(**MARCH)
    refs = [row["reference"] for row in inputs["significant"]]
    assert refs == [march["p1"].reference, march["p0"].reference]
    assert march["april"].reference not in refs and march["p2"].reference not in refs
    assert inputs["incidents"] == 3  # P0, P1 and P2 of March
    assert inputs["trend"] == [
        {"month": "2026-03", "P0": 1, "P1": 1, "P2": 1, "P3": 0, "unset": 0, "total": 3}
    ]
    assert "title" not in inputs["significant"][0]


def test_inputs_count_capa_status_checks_and_findings(users):
    grc, owner = users["grc"], users["engineer"]
    with time_machine.travel(IN_MARCH, tick=False):
        capa_at(
            ActionStatus.VERIFIED_EFFECTIVE, actor=grc, owner=owner, verifier=users["risk_officer"]
        )
        capa_at(ActionStatus.OPEN, actor=grc, owner=owner)
        services.finding_create(
            actor=grc,
            data={
                "audit_kind": "internal",
                "audit_reference": "IA-2026-01",
                "classification": "major",
                "clause": "10.2",
                "title": "No effectiveness checks",
                "description": "CAPAs close without a check.",
                "objective_evidence": "Three CAPAs sampled.",
            },
        )
    with time_machine.travel(MEETING, tick=False):
        inputs = selectors.management_review_inputs(**MARCH)
    assert inputs["capa"]["raised"] == 2
    assert inputs["capa"]["verified_effective"] == 1
    assert inputs["capa"]["open"] == 1
    assert inputs["checks"] == {"passed": 1, "failed": 0}
    majors = next(r for r in inputs["findings"]["by_classification"] if r["key"] == "major")
    assert majors["count"] == 1
    assert inputs["findings"]["open_nonconformities"] == 1


def test_recording_freezes_the_inputs_and_stamps_coverage(users, march):
    review = draft(users)
    assert review.reference.startswith("MR-")
    assert review.inputs is None
    review = record(users, review)
    assert review.status == ManagementReviewStatus.RECORDED
    frozen = [row["reference"] for row in review.inputs["significant"]]
    assert frozen == [march["p1"].reference, march["p0"].reference]
    covered = set(
        ManagementReviewIncident.objects.filter(review=review).values_list("incident", flat=True)
    )
    assert covered == {march["p1"].pk, march["p0"].pk}
    assert TimelineEntry.objects.filter(
        incident=march["p0"], summary__contains=review.reference
    ).exists()
    # A P1 filed later for March does not change what the recorded review saw.
    late = severe(users, IN_MARCH + timedelta(days=1))
    review.refresh_from_db()
    assert late.reference not in [row["reference"] for row in review.inputs["significant"]]
    assert selectors.review_inputs_of(review) == review.inputs
    # ... while the live compilation does show it.
    assert late.reference in [
        r["reference"] for r in selectors.management_review_inputs(**MARCH)["significant"]
    ]


def test_a_recorded_review_keeps_its_period_and_meeting(users, march):
    review = record(users, draft(users))
    with pytest.raises(ValidationFailed, match="recorded"):
        services.management_review_update(
            actor=users["grc"], review=review, data={"period_start": date(2026, 2, 1)}
        )
    services.management_review_update(
        actor=users["grc"], review=review, data={"decisions": "Fund the monitoring project."}
    )
    review.refresh_from_db()
    assert review.decisions == "Fund the monitoring project."


def test_recording_needs_minutes_attendees_and_the_meeting_held(users):
    review = services.management_review_create(
        actor=users["grc"], data={"meeting_date": date(2026, 4, 15), **MARCH}
    )
    with (
        time_machine.travel(datetime(2026, 4, 1, tzinfo=UTC), tick=False),
        pytest.raises(GuardFailed) as caught,
    ):
        services.management_review_transition(
            actor=users["grc"], review=review, to=ManagementReviewStatus.RECORDED
        )
    message = str(caught.value.message)
    assert "meeting date" in message and "attendees" in message and "minutes" in message


def test_approval_needs_decisions_then_is_final(users):
    review = record(users, draft(users))
    with pytest.raises(GuardFailed, match="decisions"):
        services.management_review_transition(
            actor=users["grc"], review=review, to=ManagementReviewStatus.APPROVED
        )
    services.management_review_update(
        actor=users["grc"], review=review, data={"decisions": "Add a vendor-change check."}
    )
    review = services.management_review_transition(
        actor=users["risk_officer"], review=review, to=ManagementReviewStatus.APPROVED
    )
    assert (
        review.status == ManagementReviewStatus.APPROVED
        and review.approved_by == users["risk_officer"]
    )
    with pytest.raises(ValidationFailed, match="final"):
        services.management_review_update(
            actor=users["grc"], review=review, data={"minutes": "Changed."}
        )


def test_period_must_be_ordered(users):
    with pytest.raises(ValidationFailed, match="ends before"):
        draft(users, period_start=date(2026, 3, 31), period_end=date(2026, 3, 1))


def test_actions_become_capas_with_source_management_review(users):
    review = record(users, draft(users))
    capa = services.management_review_action_add(
        actor=users["grc"], review=review, data=capa_data(users["ciso"])
    )
    assert capa.source == ActionSource.MANAGEMENT_REVIEW
    assert review.reference in capa.source_detail
    assert list(review.actions.values_list("capa", flat=True)) == [capa.pk]
    assert CorrectiveAction.objects.get(pk=capa.pk).management_review_link.review == review
    with pytest.raises(ValidationFailed, match="management review"):
        services.management_review_action_add(
            actor=users["grc"], review=review, data=capa_data(users["ciso"], source="incident")
        )


def test_a_draft_has_no_actions_yet(users):
    review = draft(users)
    with pytest.raises(ValidationFailed, match="Record the review"):
        services.management_review_action_add(
            actor=users["grc"], review=review, data=capa_data(users["ciso"])
        )


@pytest.mark.parametrize("role", ["grc", "risk_officer"])
def test_managers_prepare_reviews(users, role):
    review = services.management_review_create(
        actor=users[role], data={"meeting_date": date(2026, 4, 15), **MARCH}
    )
    assert review.status == ManagementReviewStatus.DRAFT


@pytest.mark.parametrize("role", ["executive", "ciso", "auditor", "engineer", "dpo"])
def test_other_roles_cannot_prepare_or_record(users, role):
    with pytest.raises(PermissionRefused):
        services.management_review_create(
            actor=users[role], data={"meeting_date": date(2026, 4, 15), **MARCH}
        )
    review = draft(users)
    with pytest.raises(PermissionRefused):
        record(users, review, actor=users[role])


@pytest.mark.parametrize(
    ("role", "reads"),
    [("executive", True), ("ciso", True), ("auditor", True), ("grc", True), ("engineer", False)],
)
def test_who_reads_reviews(users, role, reads):
    review = draft(users)
    assert (selectors.management_review_page(users[role], review.pk) is not None) is reads


def test_register_filter_shows_p0_p1_not_yet_covered(users, march):
    def uncovered():
        rows = IncidentFilter({"review_uncovered": "true"}, queryset=Incident.objects.all()).qs
        return set(rows.values_list("pk", flat=True))

    assert uncovered() == {march["p1"].pk, march["p0"].pk, march["april"].pk}
    record(users, draft(users))
    assert uncovered() == {march["april"].pk}
    covered = IncidentFilter({"review_uncovered": "false"}, queryset=Incident.objects.all()).qs
    assert march["p0"] in covered and march["p2"] in covered
    assert [r.reference for r in selectors.review_coverage_of(march["p0"])]
