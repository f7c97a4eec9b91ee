"""The case file after a purge, read back from the PDF: the purged evidence is still accounted
for (what, when, under which rule, its SHA-256), the legal holds are listed, and the audit
chain still verifies."""

import pytest
import time_machine

from aims.audit.chain import verify_chain
from reporting.builders.casefile import render_case_file
from risk import services as risk_services
from risk.tests.test_documents_retention import closed, rules  # noqa: F401 - fixtures

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


def test_the_case_file_accounts_for_purged_evidence_and_holds(users, closed):  # noqa: F811
    incident, extra = closed["personal"], closed["personal_extra"]
    hold = risk_services.legal_hold_place(
        actor=users["legal"], incident=incident, reason="Regulator inquiry"
    )
    risk_services.legal_hold_release(actor=users["legal"], hold=hold, reason="Inquiry closed")
    with time_machine.travel("2028-02-01 10:00Z", tick=False):
        result = risk_services.retention_purge(execute=True)
    assert [t.record_pk for t in result.purged] == [extra.pk]
    assert verify_chain().intact
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "Retention and legal holds" in text
    assert "Records purged past retention" in text and "names.csv" in text
    assert "Evidence with personal data: 730 days after closure" in text
    assert extra.sha256 in text.replace(" ", "")
    assert "Regulator inquiry" in text and "Inquiry closed" in text
