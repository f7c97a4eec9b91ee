"""The risk lifecycle table against the design, and every pair of statuses tried."""

import itertools

import pytest

from aims.core.exceptions import InvalidTransition
from risk.choices import RiskStatus
from risk.tests.factories import raise_risk
from risk.workflow import LIFECYCLE

pytestmark = pytest.mark.django_db

DESIGNED = {
    ("draft", "assessed"),
    ("assessed", "treated"),
    ("treated", "accepted"),
    ("treated", "assessed"),
    ("accepted", "assessed"),
    ("draft", "closed"),
    ("assessed", "closed"),
    ("treated", "closed"),
    ("accepted", "closed"),
    ("closed", "assessed"),
}


def test_the_table_is_the_design():
    assert {(m.source, m.target) for m in LIFECYCLE.moves} == DESIGNED
    needs_reason = {(m.source, m.target) for m in LIFECYCLE.moves if m.needs_reason}
    assert needs_reason == DESIGNED - {("draft", "assessed"), ("assessed", "treated")}


@pytest.mark.parametrize(
    ("source", "target"),
    [p for p in itertools.product(RiskStatus.values, repeat=2) if p not in DESIGNED],
)
def test_every_other_pair_is_refused_with_the_moves_that_exist(users, source, target):
    risk = raise_risk(users["grc"])
    risk.status = source  # in memory only: the check reads the status it is given
    with pytest.raises(InvalidTransition, match=f"cannot move from {source} to {target}"):
        LIFECYCLE.check(risk, to=target, actor=users["grc"], reason="x")
