"""The documented-information pages and API as people use them: the register with its
filters, a document page with its versions and the outdated notice, drafting and approving
from the page, the retention page, the legal-hold card on the incident page; refusals both ways."""

import pytest
from django.urls import reverse

from incidents.tests.factories import file_incident
from risk.choices import DocumentKind
from risk.models import DocumentVersion, LegalHold, RetentionRule

from .documents_factories import approved_policy, register_document

pytestmark = pytest.mark.django_db


def test_register_page_filters_and_document_page_shows_versions(client, users):
    document, version = approved_policy(users["grc"], users["risk_officer"])
    scope = register_document(users["grc"], kind=DocumentKind.AIMS_SCOPE, title="AIMS scope")
    client.force_login(users["engineer"])
    page = client.get(reverse("risk:documents")).content.decode()
    assert document.reference in page and scope.reference in page
    page = client.get(reverse("risk:documents"), {"kind": "aims_scope"}).content.decode()
    assert scope.reference in page and document.reference not in page
    page = client.get(reverse("risk:documents"), {"status": "nonsense"})
    assert page.status_code == 200  # a bad filter is ignored, never a 500
    detail = client.get(document.get_absolute_url()).content.decode()
    assert "v1" in detail and "Approved by risk_officer" in detail
    assert "/approve/" not in detail  # the engineer reads, never approves
    assert "Draft a new version" not in detail


def test_drafting_and_approving_from_the_page(client, users):
    document = register_document(users["grc"])
    client.force_login(users["grc"])
    response = client.post(
        reverse("risk:version-create", args=[document.pk]),
        {"summary": "First", "body": "Our AI policy.", "exclusions": ""},
    )
    assert response.status_code == 302
    version = DocumentVersion.objects.get(document=document)
    client.force_login(users["engineer"])
    refused = client.post(reverse("risk:version-approve", args=[document.pk, version.pk]))
    assert refused.status_code == 403
    client.force_login(users["risk_officer"])
    client.post(reverse("risk:version-approve", args=[document.pk, version.pk]))
    version.refresh_from_db()
    assert version.status == "approved" and version.approved_by == users["risk_officer"]
    # An empty draft is refused with the reason on the page, not a 500.
    client.force_login(users["grc"])
    response = client.post(
        reverse("risk:version-create", args=[document.pk]), {"body": ""}, follow=True
    )
    assert "Write the text of the version or upload its file" in response.content.decode()


def test_the_procedure_page_offers_generation_to_editors_only(client, users):
    procedure = register_document(users["grc"], kind=DocumentKind.INCIDENT_PROCEDURE, title="IMP")
    client.force_login(users["grc"])
    page = client.get(procedure.get_absolute_url()).content.decode()
    assert reverse("reporting:procedure-pdf", args=[procedure.pk]) in page
    client.force_login(users["auditor"])
    page = client.get(procedure.get_absolute_url()).content.decode()
    assert reverse("reporting:procedure-pdf", args=[procedure.pk]) not in page
    assert client.post(reverse("reporting:procedure-pdf", args=[procedure.pk])).status_code == 403


def test_legal_hold_card_on_the_incident_page(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["legal"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert reverse("risk:legal-hold-place", args=[incident.pk]) in page
    client.post(reverse("risk:legal-hold-place", args=[incident.pk]), {"hold-reason": "Litigation"})
    hold = LegalHold.objects.get(incident=incident)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Under legal hold" in page
    client.force_login(users["engineer"])
    assert (
        client.post(
            reverse("risk:legal-hold-release", args=[incident.pk, hold.pk]),
            {"hold-reason": "x"},
        ).status_code
        == 403
    )
    assert "Under legal hold" not in client.get(incident.get_absolute_url()).content.decode()


def test_retention_page_and_rule_change(client, users):
    client.force_login(users["auditor"])
    page = client.get(reverse("risk:retention")).content.decode()
    assert "Evidence with personal data" in page and "730" in page
    personal = RetentionRule.objects.get(record_type="evidence_personal")
    assert (
        client.post(
            reverse("risk:retention-rule-update", args=[personal.pk]),
            {f"r{personal.pk}-period_days": "10"},
        ).status_code
        == 403
    )
    client.force_login(users["grc"])
    client.post(
        reverse("risk:retention-rule-update", args=[personal.pk]),
        {
            f"r{personal.pk}-period_days": "365",
            f"r{personal.pk}-legal_basis": "DPO decision 2026-04",
        },
    )
    personal.refresh_from_db()
    assert personal.period_days == 365 and personal.legal_basis == "DPO decision 2026-04"


def test_api_documents_versions_and_approval(api_client_for, users):
    grc = api_client_for(users["grc"])
    created = grc.post(
        "/api/v1/documented-information/",
        {"kind": "ai_policy", "title": "AI policy", "review_interval_days": 180},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    draft = grc.post(
        f"/api/v1/documented-information/{pk}/versions/", {"body": "Text"}, format="json"
    )
    assert draft.status_code == 201
    version = draft.json()["id"]
    engineer = api_client_for(users["engineer"])
    refused = engineer.post(f"/api/v1/document-versions/{version}/approve/")
    assert refused.status_code == 403 and refused.json()["code"]
    approved = api_client_for(users["risk_officer"]).post(
        f"/api/v1/document-versions/{version}/approve/"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    listed = engineer.get("/api/v1/documented-information/", {"status": "approved"}).json()
    assert [d["approved_version"] for d in listed] == [1]
    stale = grc.patch(
        f"/api/v1/documented-information/{pk}/",
        {"title": "New"},
        format="json",
        HTTP_IF_MATCH='"stale"',
    )
    assert stale.status_code == 412
