"""The review lifecycle as a table: the designed moves, and every pair of statuses both ways
(an allowed move succeeds for the role it names; any other pair answers 409)."""

import itertools

import pytest

from aims.core.exceptions import InvalidTransition
from capa import services, workflow
from capa.choices import ReviewStatus
from capa.models import PostIncidentReview

from .pir_factories import LESSONS, closed_incident, review_for

pytestmark = pytest.mark.django_db

R = ReviewStatus
ALLOWED = {(m.source, m.target) for m in workflow.REVIEW_LIFECYCLE.moves}
PAIRS = list(itertools.product(R, R))


def test_the_table_is_the_designed_lifecycle():
    assert {
        (R.DRAFT, R.SUBMITTED),
        (R.RETURNED, R.SUBMITTED),
        (R.SUBMITTED, R.RETURNED),
        (R.SUBMITTED, R.APPROVED),
    } == ALLOWED
    assert {(m.source, m.target) for m in workflow.REVIEW_LIFECYCLE.moves if m.needs_reason} == {
        (R.SUBMITTED, R.RETURNED),
        (R.SUBMITTED, R.APPROVED),
    }


def _review_at(status, grc, officer, system):
    review = review_for(closed_incident(grc, system))
    services.review_update(actor=grc, review=review, data=LESSONS)
    if status == R.DRAFT:
        return review
    review = services.review_submit(actor=grc, review=review)
    if status == R.SUBMITTED:
        return review
    if status == R.RETURNED:
        return services.review_return(actor=officer, review=review, comment="Change it.")
    return services.review_approve(actor=officer, review=review, comment="Fine.")


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_every_pair_of_statuses(source, target, users, make_system):
    grc, officer = users["grc"], users["risk_officer"]
    review = _review_at(source, grc, officer, make_system())
    # Whoever may make a move from the source (a submitted review is the officer's to move).
    actor = officer if target in (R.RETURNED, R.APPROVED) or source == R.SUBMITTED else grc
    if (source, target) in ALLOWED:
        moved = services.review_transition(actor=actor, review=review, to=target, reason="Why.")
        assert moved.status == target
    else:
        with pytest.raises(InvalidTransition):
            services.review_transition(actor=actor, review=review, to=target, reason="Why.")
        assert PostIncidentReview.objects.get(pk=review.pk).status == source
