"""The CAPA section of the case file, read back from the PDF: each CAPA with its effectiveness
check and who verified it, or the recorded reason why no CAPA is needed; its records in the
case file's audit trail."""

import pytest

from capa import services as capa
from capa.choices import ActionStatus
from capa.tests.factories import capa_at
from incidents.tests.factories import file_incident
from reporting.builders.casefile import case_file_context, render_case_file

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


def test_the_case_file_carries_the_capas_with_their_effectiveness(users):
    done = capa_at(
        ActionStatus.VERIFIED_EFFECTIVE,
        actor=users["grc"],
        owner=users["engineer"],
        verifier=users["risk_officer"],
        title="Pin the vendor model version",
    )
    incident = done.incidents.get()
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "Corrective and preventive actions" in text
    assert done.reference in text and "Pin the vendor model version" in text
    assert "Verified effective" in text
    # The table's cells wrap side by side: their words come out interleaved.
    assert "Criterion: No rejection of EU" in text and "Method: Replay sample" in text
    assert "Result: Passed — risk_officer" in text
    assert "effectiveness check" in text.lower()  # its history is in the audit trail
    assert "closure evidence and effectiveness" not in text  # no "not installed" line left


def test_no_capa_needed_is_in_the_case_file(users):
    incident = file_incident(users["grc"])
    context = case_file_context(incident=incident, actor=users["grc"])
    section = next(s for s in context["module_sections"] if "preventive" in str(s["title"]))
    assert "No CAPA was raised" in section["html"]
    capa.no_capa_decide(actor=users["grc"], incident=incident, reason="Duplicate of INC-1")
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "No CAPA needed, decided by grc" in text and "Duplicate of INC-1" in text


def test_the_case_file_names_the_root_cause_each_capa_answers_and_the_doubt(users, make_system):
    from datetime import timedelta

    from django.utils import timezone

    from capa.tests.factories import capa_data
    from incidents.tests.factories import add_evidence, confirm_root_cause

    grc, system = users["grc"], make_system(name="Loan scoring")

    def detected(days_ago):
        incident = file_incident(
            grc, systems=[system], detected_at=timezone.now() - timedelta(days=days_ago)
        )
        add_evidence(incident, grc)
        return incident

    earlier = detected(40)
    confirm_root_cause(earlier, grc, category="integration_bug")
    answered = capa.capa_create(
        actor=grc, data=capa_data(users["engineer"], title="Parser tests"), incidents=[earlier]
    )
    text = flat(pdf_text(render_case_file(incident=earlier, actor=users["auditor"])))
    assert answered.reference in text
    assert "Answers the root cause: Prompt or integration bug" in text
    assert "Possibly ineffective" not in text
    confirm_root_cause(detected(1), grc, category="integration_bug")  # it came back
    text = flat(pdf_text(render_case_file(incident=earlier, actor=users["auditor"])))
    # The table's cells wrap side by side: their words come out interleaved.
    assert "Possibly ineffective: the" in text and "incident recurred with the" in text
