"""The risk section of the case file, read back from the PDF: whether the risk register was
reviewed for the incident before it closed, the outcome, the reason and who decided."""

import pytest

from incidents.tests.factories import file_incident
from reporting.builders.casefile import render_case_file
from risk import services as risk

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


def test_the_case_file_says_whether_the_register_was_reviewed(users):
    incident = file_incident(users["grc"])
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "No review of the risk register was recorded for this incident." in text
    risk.incident_risk_review_record(
        actor=users["grc"],
        incident=incident,
        outcome="no_change",
        reason="Covered by RISK-0001 as rated.",
    )
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "Risk register reviewed at closure" in text
    assert "No change to the register — Covered by RISK-0001 as rated. (grc," in text
