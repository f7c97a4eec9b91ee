"""The post-incident review section of the case file, read back from the PDF: its timeline,
lessons, documentation check, approval and CAPAs; its records in the audit trail."""

import pytest

from capa import services as capa
from capa.tests.pir_factories import submitted_review
from incidents.tests.factories import file_incident
from reporting.builders.casefile import render_case_file

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


def test_the_case_file_carries_the_approved_review(users, make_system):
    grc = users["grc"]
    review = submitted_review(grc, make_system(name="Loan scoring"))
    capa.review_raise_capa(
        actor=grc,
        review=review,
        update_kind="process",
        data={
            "action_type": "preventive",
            "title": "Segment evaluation gate",
            "description": "Block a retrain that worsens a segment.",
            "horizon": "long_term",
            "owner": users["engineer"],
            "due_at": "2027-03-01T12:00:00Z",
        },
    )
    capa.review_approve(actor=users["risk_officer"], review=review, comment="Lessons accepted.")
    text = flat(pdf_text(render_case_file(incident=review.incident, actor=users["auditor"])))
    assert "Post-incident review" in text and review.reference in text
    assert "Approved" in text and "Lessons accepted." in text
    assert "Time to detect" in text and "Documentation check" in text
    assert "Gap:" in text  # the validation status was never updated
    assert "Process update: CAPA-" in text and "Segment evaluation gate" in text
    assert "The retraining gate did not compare postcode" in text
    assert "post-incident review" in text.lower()


def test_an_open_incident_has_no_review_yet(users):
    incident = file_incident(users["grc"])
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "No post-incident review: it opens when the incident closes." in text
