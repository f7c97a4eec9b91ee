"""Report drafts: pre-filled from the record with the content each regime requires, gaps
marked for legal, and kept as a communication legal approves before it is sent."""

import pytest

from disclosure import drafts, services
from disclosure.models import Communication
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(users, make_system):
    system = make_system(
        name="Claims triage",
        gdpr_role="controller",
        hipaa_role="covered_entity",
        data_categories=["personal", "health"],
    )
    return file_incident(
        users["grc"],
        systems=[system],
        harm_flags=["personal_data_breach", "phi"],
        individuals_affected_estimate=420,
    )


def draft_for(incident, users, code):
    assessment = services.assessment_refresh(actor=users["dpo"], incident=incident)
    return services.obligation_draft(
        actor=users["dpo"], obligation=assessment.obligations.get(code=code)
    )


def test_the_gdpr_draft_carries_article_33_3_from_the_record(incident, users):
    users["dpo"].first_name, users["dpo"].email = "Dana", "dpo@example.com"
    users["dpo"].save()
    draft = draft_for(incident, users, "gdpr_art33")
    assert draft.audience == "regulator" and draft.approver_role == "legal"
    assert draft.obligation.code == "gdpr_art33" and draft.status == "draft"
    text = draft.content
    assert incident.reference in draft.subject
    assert "Personal data; Health data / PHI" in text
    assert "about 420 (estimate" in text
    assert "Dana <dpo@example.com>" in text
    assert "Personal-data breach" in text
    assert "[to complete: number of records]" in text  # a gap legal must fill


def test_the_hipaa_draft_is_addressed_to_the_individual(incident, users):
    draft = draft_for(incident, users, "hipaa_individuals")
    assert draft.audience == "affected_individuals" and draft.approver_role == "dpo"
    assert "What information was involved: Personal data; Health data / PHI" in draft.content
    assert "[to complete: steps individuals should take]" in draft.content


def test_an_obligation_without_a_template_says_so(incident, users):
    assessment = services.assessment_refresh(actor=users["dpo"], incident=incident)
    from aims.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.obligation_draft(
            actor=users["dpo"],
            obligation=assessment.obligations.get(code="nis2_art23", stage="final"),
        )
    assert "no report template for nis2_art23" in refused.value.message
    assert not Communication.objects.exists()


def test_art73_and_sb53_drafts_name_what_their_texts_require():
    ctx = drafts.DraftContext(
        reference="INC-2026-0042",
        title="Triage model under-prioritises chest pain",
        description="Patients with chest pain were routed to the non-urgent queue.",
        detected_at=None,
        aware_at=None,
        failure_began_at=None,
        systems=(drafts.SystemLine("AIS-0003", "ED triage", "2.4.1", "sha256:ab12"),),
        individuals_confirmed=17,
        harms=("Physical harm to a person",),
        internal_use=False,
    )
    subject, body = drafts.eu_ai_act_art73(ctx)
    assert "Art. 73" in subject
    assert "AIS-0003 ED triage, version 2.4.1 (sha256:ab12)" in body
    assert "Affected persons: 17 (confirmed)" in body
    assert "[to complete: when we became aware]" in body
    assert "[to complete: established or reasonably likely, and why]" in body
    _, sb53 = drafts.ca_sb53(ctx)
    assert "Associated with internal use of a frontier model: No" in sb53
    assert "Why it qualifies as a critical safety incident: Physical harm to a person" in sb53


def test_drafting_through_the_api_and_the_page(incident, users, api_client_for, client):
    assessment = services.assessment_refresh(actor=users["dpo"], incident=incident)
    gdpr = assessment.obligations.get(code="gdpr_art33")
    answer = api_client_for(users["legal"]).post(f"/api/v1/obligations/{gdpr.pk}/draft/")
    assert answer.status_code == 201 and answer.json()["obligation"] == gdpr.pk
    refused = api_client_for(users["auditor"]).post(f"/api/v1/obligations/{gdpr.pk}/draft/")
    assert refused.status_code == 403
    client.force_login(users["dpo"])
    assert (
        f'action="/disclosure/obligations/{gdpr.pk}/draft/"'
        in client.get(incident.get_absolute_url()).content.decode()
    )
    client.post(f"/disclosure/obligations/{gdpr.pk}/draft/")
    assert Communication.objects.filter(obligation=gdpr).count() == 2
