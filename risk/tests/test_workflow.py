"""The risk lifecycle table against the design, and every pair of statuses tried."""

import itertools

import pytest

from aims.core.exceptions import InvalidTransition
from risk import services
from risk.choices import DocumentVersionStatus, RiskStatus
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


# --- a document version: draft -> approved -> superseded --------------------------------------

DOCUMENT_DESIGNED = {("draft", "approved"), ("approved", "superseded")}


def test_the_document_version_table_is_the_design():
    from risk.workflow import DOCUMENT_VERSION_LIFECYCLE

    assert {(m.source, m.target) for m in DOCUMENT_VERSION_LIFECYCLE.moves} == DOCUMENT_DESIGNED


@pytest.mark.parametrize(
    ("source", "target"),
    [
        p
        for p in itertools.product(DocumentVersionStatus.values, repeat=2)
        if p not in DOCUMENT_DESIGNED
    ],
)
def test_every_other_document_version_pair_is_refused(users, source, target):
    from risk.tests.documents_factories import register_document
    from risk.workflow import DOCUMENT_VERSION_LIFECYCLE

    document = register_document(users["grc"])
    version = services.version_draft(actor=users["grc"], document=document, body="Text.")
    version.status = source  # in memory only: the check reads the status it is given
    with pytest.raises(InvalidTransition, match=f"cannot move from {source} to {target}"):
        DOCUMENT_VERSION_LIFECYCLE.check(version, to=target, actor=users["grc"])


@pytest.mark.parametrize(("source", "target"), sorted(DOCUMENT_DESIGNED))
def test_each_document_version_move_is_the_approvers_only(users, source, target):
    from aims.core.exceptions import PermissionRefused
    from risk.tests.documents_factories import register_document
    from risk.workflow import DOCUMENT_VERSION_LIFECYCLE

    document = register_document(users["grc"])
    version = services.version_draft(actor=users["grc"], document=document, body="Text.")
    version.status = source
    assert DOCUMENT_VERSION_LIFECYCLE.check(version, to=target, actor=users["risk_officer"])
    with pytest.raises(PermissionRefused):
        DOCUMENT_VERSION_LIFECYCLE.check(version, to=target, actor=users["auditor"])
