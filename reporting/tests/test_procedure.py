"""The AI incident-management procedure, generated from the live configuration as a worker
builds it and read back with pdftotext: it states the clock policies' SLAs, the roles and the
protected channel; a change of an SLA changes the regenerated text and makes the approved
version outdated."""

import subprocess

import pytest

from aims.clocks.models import ClockPolicy
from aims.core.exceptions import GuardFailed, PermissionRefused
from aims.core.services import model_save
from reporting import services
from reporting.choices import RunStatus
from risk import home as risk_home
from risk import selectors as risk_selectors
from risk import services as risk_services
from risk.choices import DocumentKind, DocumentVersionStatus
from risk.tests.documents_factories import register_document

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    return " ".join(out.stdout.decode().split())


def generate(actor, document):
    run = services.procedure_request(actor=actor, document=document)
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=actor, run=run) as handle:
        pdf = handle.read()
    version = document.versions.order_by("-number").first()
    return pdf, version


@pytest.fixture
def procedure_doc(users):
    return register_document(
        users["grc"],
        kind=DocumentKind.INCIDENT_PROCEDURE,
        title="AI incident-management procedure",
        process_links=[
            {"label": "Security incident process", "url": "https://intranet.example/sec-ir"},
            {"label": "Business continuity plan", "url": "https://intranet.example/bcp"},
        ],
    )


def test_the_procedure_states_the_live_configuration(users, procedure_doc):
    pdf, version = generate(users["grc"], procedure_doc)
    text = text_of(pdf)
    assert (
        "Triage done (P0): due 2 hours; reminder 30 minutes before; escalation: "
        "1. risk_officer +0 minutes; 2. ciso +1 hour. P0 triage within 2 hours." in text
    )
    assert "/report/" in text  # the protected channel's address
    assert "Protected reporting channel" in text
    assert "AI risk officer" in text and "Ethics (protected channel)" in text
    assert "Security incident process: https://intranet.example/sec-ir" in text
    # The PDF is the draft version, kept write-once with its fingerprint.
    assert version.status == DocumentVersionStatus.DRAFT
    assert version.config_fingerprint in text
    with version.file.open("rb") as handle:
        assert handle.read() == pdf


def test_the_generated_procedure_changes_when_an_sla_changes(users, procedure_doc):
    pdf, first = generate(users["grc"], procedure_doc)
    risk_services.version_approve(actor=users["risk_officer"], version=first)
    document = risk_selectors.document_detail(procedure_doc.pk)
    assert risk_selectors.outdated_reason(document) == ""

    policy = ClockPolicy.objects.get(kind="triage", severity=0)
    policy.amount = 90
    policy.unit = "minutes"
    policy.description = "P0 triage within 90 minutes"
    model_save(policy, actor=users["grc"])

    document = risk_selectors.document_detail(procedure_doc.pk)
    assert "configuration" in risk_selectors.outdated_reason(document)
    assert [d.pk for d in risk_selectors.document_list(outdated="yes")] == [procedure_doc.pk]
    # The AI risk officer's home page says so, with why.
    (listed,) = risk_home.outdated_documents()
    assert listed.pk == procedure_doc.pk and "configuration" in listed.outdated

    pdf2, second = generate(users["grc"], procedure_doc)
    before, after = text_of(pdf), text_of(pdf2)
    assert before != after
    assert "Triage done (P0): due 2 hours;" in before
    assert (
        "Triage done (P0): due 90 minutes;" in after
        and "Triage done (P0): due 2 hours;" not in after
    )
    assert second.number == 2 and second.config_fingerprint != first.config_fingerprint
    risk_services.version_approve(actor=users["grc"], version=second)
    document = risk_selectors.document_detail(procedure_doc.pk)
    assert risk_selectors.outdated_reason(document) == ""
    first.refresh_from_db()
    assert first.status == DocumentVersionStatus.SUPERSEDED


def test_a_stale_draft_is_not_approved(users, procedure_doc):
    _pdf, draft = generate(users["grc"], procedure_doc)
    policy = ClockPolicy.objects.get(kind="triage", severity=1)
    policy.amount = 3
    model_save(policy, actor=users["grc"])
    with pytest.raises(GuardFailed, match="configuration changed"):
        risk_services.version_approve(actor=users["risk_officer"], version=draft)


@pytest.mark.parametrize("role", ["engineer", "auditor", "legal"])
def test_only_document_editors_generate_it(users, procedure_doc, role):
    with pytest.raises(PermissionRefused):
        services.procedure_request(actor=users[role], document=procedure_doc)
