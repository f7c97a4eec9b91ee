"""The register of documented information: a document, versions drafted as text or as a
write-once file, approval by the AI risk officer or GRC only, superseding, the scope's
exclusions, the review clock, and marking outdated."""

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from aims.clocks.models import Clock
from aims.core.exceptions import Conflict, InvalidTransition, PermissionRefused, ValidationFailed
from risk import selectors, services
from risk.choices import DocumentClockKind, DocumentKind, DocumentVersionStatus
from risk.models import DocumentVersion

from .documents_factories import approved_policy, pdf_upload, register_document

pytestmark = pytest.mark.django_db


def test_a_document_gets_a_reference_and_only_editors_register_one(users):
    document = register_document(users["grc"])
    assert document.reference.startswith("DOC-")
    for role in ("engineer", "auditor", "legal", "ethics"):
        with pytest.raises(PermissionRefused):
            register_document(users[role])
    with pytest.raises(ValidationFailed):
        register_document(users["grc"], kind="nonsense")


@pytest.mark.parametrize("approver", ["risk_officer", "grc"])
def test_the_risk_officer_or_grc_approve_and_the_previous_version_is_superseded(users, approver):
    document, first = approved_policy(users["grc"], users[approver])
    first.refresh_from_db()
    assert first.status == DocumentVersionStatus.APPROVED
    assert first.approved_by == users[approver]
    second = services.version_draft(actor=users["grc"], document=document, body="Version two.")
    services.version_approve(actor=users[approver], version=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DocumentVersionStatus.SUPERSEDED and first.superseded_at
    assert second.status == DocumentVersionStatus.APPROVED and second.number == 2
    with pytest.raises(InvalidTransition, match="cannot move from approved to approved"):
        services.version_approve(actor=users[approver], version=second)


@pytest.mark.parametrize("role", ["engineer", "auditor", "legal", "dpo", "executive", "ciso"])
def test_other_roles_cannot_approve(users, role):
    document = register_document(users["grc"])
    draft = services.version_draft(actor=users["grc"], document=document, body="Text.")
    with pytest.raises(PermissionRefused):
        services.version_approve(actor=users[role], version=draft)
    draft.refresh_from_db()
    assert draft.status == DocumentVersionStatus.DRAFT


def test_an_uploaded_file_is_kept_write_once_with_its_sha256(users):
    document = register_document(users["grc"], kind=DocumentKind.COMMUNICATION_PLAN)
    content = b"%PDF-1.4 communication plan\n"
    version = services.version_draft(
        actor=users["grc"], document=document, uploaded_file=pdf_upload(content)
    )
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.size == len(content)
    with version.file.open("rb") as handle:
        assert handle.read() == content
    with pytest.raises(ValidationFailed):  # neither text nor file
        services.version_draft(actor=users["grc"], document=document)


def test_scope_exclusions_need_a_justification(users):
    scope = register_document(users["grc"], kind=DocumentKind.AIMS_SCOPE, title="AIMS scope")
    with pytest.raises(ValidationFailed, match="justification"):
        services.version_draft(
            actor=users["grc"],
            document=scope,
            body="All AI systems in production.",
            exclusions=[{"item": "Research prototypes", "justification": ""}],
        )
    version = services.version_draft(
        actor=users["grc"],
        document=scope,
        body="All AI systems in production.",
        exclusions=[{"item": "Research prototypes", "justification": "Never reach customers."}],
    )
    assert version.exclusions == [
        {"item": "Research prototypes", "justification": "Never reach customers."}
    ]
    policy = register_document(users["grc"])
    with pytest.raises(ValidationFailed, match="Only the AIMS scope"):
        services.version_draft(
            actor=users["grc"],
            document=policy,
            body="x",
            exclusions=[{"item": "a", "justification": "b"}],
        )


def test_approval_starts_the_review_clock_for_the_owner(users):
    with time_machine.travel("2026-03-02 10:00Z", tick=False):
        document, _version = approved_policy(users["grc"], users["risk_officer"])
    document.refresh_from_db()
    assert str(document.next_review_date) == "2027-03-02"
    clock = Clock.objects.get(kind=DocumentClockKind.REVIEW, target_id=document.pk)
    assert clock.owner == users["grc"] and clock.due_at.date().isoformat() == "2027-03-02"
    assert clock.remind_at == clock.due_at - timedelta(days=14)
    with time_machine.travel("2027-02-01 10:00Z", tick=False):
        second = services.version_draft(actor=users["grc"], document=document, body="Reviewed.")
        services.version_approve(actor=users["risk_officer"], version=second)
    clock.refresh_from_db()
    assert clock.met_at is not None  # the review was done in time
    assert (
        Clock.objects.filter(kind=DocumentClockKind.REVIEW, target_id=document.pk, met_at=None)
        .get()
        .due_at.date()
        .isoformat()
        == "2028-02-01"
    )
    rows = selectors.document_list(review_due="yes", today=timezone.localdate())
    assert document.pk not in [d.pk for d in rows]


def test_the_procedure_is_not_written_by_hand(users):
    procedure = register_document(
        users["grc"], kind=DocumentKind.INCIDENT_PROCEDURE, title="Procedure"
    )
    with pytest.raises(Conflict, match="generated"):
        services.version_draft(actor=users["grc"], document=procedure, body="hand-written")


def test_marking_outdated_shows_in_the_register(users):
    document, version = approved_policy(users["grc"])
    with pytest.raises(ValidationFailed):
        services.version_mark_outdated(actor=users["grc"], version=version, reason=" ")
    with pytest.raises(PermissionRefused):
        services.version_mark_outdated(actor=users["auditor"], version=version, reason="x")
    services.version_mark_outdated(actor=users["grc"], version=version, reason="New AI Act duty")
    rows = selectors.document_list(outdated="yes")
    assert [d.pk for d in rows] == [document.pk]
    assert selectors.document_list(outdated="no") == []
    assert DocumentVersion.objects.get(pk=version.pk).outdated_reason == "New AI Act duty"


def test_an_outdated_document_is_on_the_home_page_of_those_who_approve(client, users):
    document, version = approved_policy(users["grc"])
    client.force_login(users["risk_officer"])
    assert 'id="home-documents-outdated"' not in client.get("/").content.decode()

    services.version_mark_outdated(actor=users["grc"], version=version, reason="New AI Act duty")

    page = client.get("/").content.decode()
    assert 'id="home-documents-outdated"' in page
    assert document.reference in page and "New AI Act duty" in page
    client.force_login(users["engineer"])  # the panel is the approvers'
    assert 'id="home-documents-outdated"' not in client.get("/").content.decode()
