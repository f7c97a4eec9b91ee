"""The learning loop's section of the case file, read back from the PDF: the root cause with
its whys, diagnostics and confirming evidence (hashes), the scope with its bounds — an estimate
shown as one — and the remediation plan."""

import pytest

from incidents.choices import Status
from incidents.tests.factories import (
    confirm_root_cause,
    confirm_scope,
    file_incident,
    incident_at,
)
from reporting.builders.casefile import render_case_file

from .test_case_file import flat
from .test_case_file import pdf_text as layout_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(make_system):
    return make_system(name="Loan scoring")


def pdf_text(pdf: bytes) -> str:
    return flat(layout_text(pdf))


def test_the_case_file_shows_root_cause_whys_evidence_scope_and_plan(users, system):
    grc = users["grc"]
    incident = incident_at(Status.RESOLVED, grc, system)
    cause = incident.root_causes.get()
    evidence = cause.evidence_links.get().evidence
    confirm_scope(incident, grc)
    from capa import services

    services.remediation_item_add(
        actor=grc,
        incident=incident,
        horizon="short_term",
        kind="reprocess",
        description="Re-score the 40 rejected applications.",
        owner=grc,
        due_on=incident.detected_at.date(),
    )
    services.fix_verify(actor=grc, incident=incident, verification="Replayed 40 failing cases.")
    text = pdf_text(render_case_file(incident=incident, actor=users["auditor"]))
    assert "Root cause, scope and remediation" in text
    assert "Confirmed — Prompt or integration bug" in text
    assert "Why were valid applicants rejected?" in text
    assert "Traced one rejected application" in text
    assert evidence.sha256[:16] in text.replace(" ", "")
    assert "40 of 1000 decisions (4.000 %)" in text
    assert "lower 30 · upper 55" in text
    assert "Re-score the 40 rejected applications." in text
    assert "Replayed 40 failing cases." in text
    assert "scope confirmation" in text.lower()  # its history is in the audit trail


def test_an_estimated_scope_is_shown_as_an_estimate_in_the_case_file(users, system):
    incident = file_incident(users["grc"], systems=[system])
    confirm_scope(incident, users["grc"], confirm=False)
    text = pdf_text(render_case_file(incident=incident, actor=users["grc"]))
    assert "Best estimate — not confirmed" in text
    assert "Logs of day 2 are still being exported." in text
    assert "No root cause was confirmed" in text


def test_confirmed_root_cause_helper_is_used_by_the_case_file(users, system):
    incident = file_incident(users["grc"], systems=[system])
    confirm_root_cause(incident, users["grc"])
    text = pdf_text(render_case_file(incident=incident, actor=users["grc"]))
    assert "No root cause was confirmed" not in text
