"""The disclosure module's section of the case file: registered by the module, read back
from the PDF — the assessment with each rule's reason and source, sign-off, submissions,
communications — and its records in the case file's audit trail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disclosure import services as disclosure
from incidents.tests.factories import file_incident
from reporting.builders.casefile import case_file_context, render_case_file

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessed(users, make_system):
    system = make_system(name="Claims triage", gdpr_role="controller")
    incident = file_incident(users["grc"], systems=[system], harm_flags=["personal_data_breach"])
    disclosure.incident_facts_update(
        actor=users["dpo"], incident=incident, data={"breach_risk": "risk"}
    )
    assessment = incident.disclosure_assessment
    for row in assessment.obligations.exclude(proposed="no"):
        applies = "no" if row.proposed == "undetermined" else row.proposed
        disclosure.obligation_confirm(
            actor=users["dpo"], obligation=row, applies=applies, reason="DPO assessed."
        )
    disclosure.assessment_sign_off(
        actor=users["legal"], assessment=assessment, comment="Notify the ICO."
    )
    gdpr = assessment.obligations.get(code="gdpr_art33")
    disclosure.obligation_submit(
        actor=users["legal"],
        obligation=gdpr,
        phase="complete",
        reference="ICO-2026-991",
        document=SimpleUploadedFile("art33.pdf", b"%PDF-1.4 notification", "application/pdf"),
    )
    draft = disclosure.communication_draft(
        actor=users["grc"],
        incident=incident,
        data={
            "audience": "customers",
            "channel": "e-mail",
            "subject": "Claim review",
            "content": "We re-checked.",
        },
    )
    disclosure.communication_approve(actor=users["legal"], communication=draft)
    return incident


def test_the_case_file_carries_the_disclosure_section(assessed, users):
    text = flat(pdf_text(render_case_file(incident=assessed, actor=users["auditor"])))
    assert "Disclosure assessment, obligations and communications" in text
    assert "Signed off by legal" in text and "Notify the ICO." in text
    assert "gdpr_art33" in text and "Regulation (EU) 2016/679 Art. 33" in text
    assert "ICO-2026-991" in text
    assert "Claim review" in text and "not sent" in text
    assert "disclosure assessment" in text.lower()  # its history is in the audit trail
    assert "Disclosure assessment and regulatory obligations" not in text  # no placeholder line


def test_an_incident_without_assessment_says_closing_needs_one(users, make_system):
    incident = file_incident(users["grc"], systems=[make_system()])
    context = case_file_context(incident=incident, actor=users["grc"])
    (section,) = [
        s for s in context["module_sections"] if s["title"].startswith("Disclosure assessment")
    ]
    assert "No disclosure assessment was recorded" in section["html"]
    assert context["audit_number"] == 10 + len(context["module_sections"]) + 1


def test_the_case_file_names_the_capa_tracking_a_supplier_fix(users, make_system):
    from capa import services as capa_services
    from capa.tests.factories import capa_data

    grc, legal = users["grc"], users["legal"]
    system = make_system(name="Vendor model", supplier="Acme Models Ltd")
    incident = file_incident(grc, systems=[system])
    capa = capa_services.capa_create(actor=grc, data=capa_data(grc), incidents=[incident])
    notice = disclosure.vendor_notice_record(
        actor=legal,
        incident=incident,
        system=system,
        data={"basis": "contract", "channel": "e-mail", "content": "Please fix."},
    )
    disclosure.vendor_notice_fix(actor=legal, notice=notice, fix_description="Patched", capa=capa)
    context = case_file_context(incident=incident, actor=grc)
    (section,) = [s for s in context["module_sections"] if str(s["title"]).startswith("Disclosure")]
    assert f"tracked by {capa.reference}" in section["html"]
