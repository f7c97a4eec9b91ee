"""The management-review lifecycle as a table: every pair of statuses tried, allowed and
refused."""

import itertools
from datetime import date

import pytest

from aims.core.exceptions import InvalidTransition
from capa import services
from capa.choices import ManagementReviewStatus
from capa.workflow import MANAGEMENT_REVIEW_LIFECYCLE

pytestmark = pytest.mark.django_db

ALLOWED = {
    (ManagementReviewStatus.DRAFT, ManagementReviewStatus.RECORDED),
    (ManagementReviewStatus.RECORDED, ManagementReviewStatus.APPROVED),
}


def test_the_table_is_the_design():
    assert {(m.source, m.target) for m in MANAGEMENT_REVIEW_LIFECYCLE.moves} == ALLOWED


def at(users, status):
    review = services.management_review_create(
        actor=users["grc"],
        data={
            "meeting_date": date(2020, 1, 15),
            "period_start": date(2019, 10, 1),
            "period_end": date(2019, 12, 31),
            "other_attendees": "Board chair",
            "minutes": "Reviewed.",
            "decisions": "Continue.",
        },
    )
    for target in (ManagementReviewStatus.RECORDED, ManagementReviewStatus.APPROVED):
        if review.status == status:
            break
        review = services.management_review_transition(actor=users["grc"], review=review, to=target)
    return review


@pytest.mark.parametrize(
    ("source", "target"), list(itertools.permutations(ManagementReviewStatus.values, 2))
)
def test_every_pair(users, source, target):
    review = at(users, source)
    if (source, target) in ALLOWED:
        moved = services.management_review_transition(actor=users["grc"], review=review, to=target)
        assert moved.status == target
    else:
        with pytest.raises(InvalidTransition):
            services.management_review_transition(actor=users["grc"], review=review, to=target)
