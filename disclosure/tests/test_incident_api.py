"""A real incident's disclosure through the API: obligations, facts, confirmation, sign-off,
submission, and the Obligations list across incidents — each allowed and refused."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from disclosure.models import Obligation
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture
def incident(users, make_system):
    system = make_system(name="Claims triage", gdpr_role="controller", eu_market=True)
    with time_machine.travel(T0, tick=False):
        return file_incident(
            users["grc"], systems=[system], harm_flags=["personal_data_breach"], detected_at=T0
        )


def url(incident, tail=""):
    return f"/api/v1/incidents/{incident.pk}/{tail}"


def test_before_assessment_the_obligations_are_proposed_live_and_nothing_is_stored(
    incident, users, api_client_for
):
    rows = api_client_for(users["auditor"]).get(url(incident, "obligations/")).json()
    gdpr = next(r for r in rows if r["code"] == "gdpr_art33")
    assert gdpr["applies"] == "undetermined" and gdpr["deadline"] == "2026-11-19T09:00:00Z"
    assert not Obligation.objects.exists()
    assert api_client_for(users["auditor"]).get(url(incident, "disclosure/")).status_code == 404


def test_facts_confirm_sign_off_and_submit(incident, users, api_client_for):
    dpo, legal = api_client_for(users["dpo"]), api_client_for(users["legal"])
    answer = dpo.patch(
        url(incident, "disclosure/facts/"),
        {"aware_at": "2026-11-16T10:00:00Z", "breach_risk": "risk"},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    obligations = {(o["code"], o["stage"]): o for o in answer.json()["obligations"]}
    gdpr = obligations[("gdpr_art33", "notification")]
    assert (gdpr["applies"], gdpr["deadline"]) == ("yes", "2026-11-19T10:00:00Z")
    for row in answer.json()["obligations"]:
        if row["proposed"] != "no":
            applies = "no" if row["proposed"] == "undetermined" else row["proposed"]
            confirmed = dpo.post(
                f"/api/v1/obligations/{row['id']}/confirm/",
                {"applies": applies, "reason": "Assessed by the DPO."},
                format="json",
            )
            assert confirmed.status_code == 200, confirmed.content
    refused = dpo.post(url(incident, "disclosure/sign-off/"), {}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == "Only legal signs off a disclosure assessment."
    signed = legal.post(
        url(incident, "disclosure/sign-off/"), {"comment": "Agreed."}, format="json"
    )
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    document = SimpleUploadedFile("report.pdf", b"%PDF-1.4 art 33 report", "application/pdf")
    sent = legal.post(
        f"/api/v1/obligations/{gdpr['id']}/submissions/",
        {"phase": "complete", "reference": "ICO-123", "document": document},
        format="multipart",
    )
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["status"] == "submitted" and body["submissions"][0]["reference"] == "ICO-123"
    assert len(body["submissions"][0]["document_sha256"]) == 64
    overdue = legal.get("/api/v1/obligations/", {"overdue": "true"}).json()["results"]
    assert gdpr["id"] not in [o["id"] for o in overdue]


def test_confirming_needs_a_reason_to_disagree(incident, users, api_client_for):
    dpo = api_client_for(users["dpo"])
    assessment = dpo.post(url(incident, "disclosure/refresh/")).json()
    row = next(o for o in assessment["obligations"] if o["code"] == "gdpr_art33")
    answer = dpo.post(f"/api/v1/obligations/{row['id']}/confirm/", {"applies": "no"}, format="json")
    assert answer.status_code == 400 and "reason" in answer.json()["fields"]


@pytest.mark.parametrize("role", ["engineer", "auditor", "executive", "ethics", "ciso"])
def test_other_roles_cannot_assess(role, incident, users, api_client_for):
    assessment = api_client_for(users["dpo"]).post(url(incident, "disclosure/refresh/")).json()
    row = assessment["obligations"][0]
    client = api_client_for(users[role])
    confirm = client.post(
        f"/api/v1/obligations/{row['id']}/confirm/", {"applies": "no", "reason": "x"}, format="json"
    )
    facts = client.patch(url(incident, "disclosure/facts/"), {"breach_risk": "high"}, format="json")
    # Refused by the rule before anything is looked up, so ethics learns nothing either.
    assert (confirm.status_code, facts.status_code) == (403, 403)
    assert "Only legal, the DPO, GRC staff and the AI risk officer" in confirm.json()["message"]
    assert Obligation.objects.get(pk=row["id"]).applies == ""


def test_an_engineer_sees_obligations_of_their_systems_only(
    incident, users, make_user, make_system, api_client_for
):
    api_client_for(users["dpo"]).post(url(incident, "disclosure/refresh/"))
    owner = api_client_for(users["engineer"])  # owns the system (make_system's default owner)
    assert owner.get("/api/v1/obligations/", {"applies": "all"}).json()["count"] == 21
    owed = owner.get("/api/v1/obligations/").json()["results"]
    assert owed and all(o["applies"] != "no" for o in owed)
    stranger = api_client_for(make_user("engineer"))
    assert stranger.get("/api/v1/obligations/").json()["count"] == 0
    assert stranger.get(url(incident, "obligations/")).status_code == 404


def test_the_obligations_list_filters(incident, users, api_client_for):
    legal = api_client_for(users["legal"])
    legal.patch(url(incident, "disclosure/facts/"), {"breach_risk": "risk"}, format="json")
    gdpr_only = legal.get("/api/v1/obligations/", {"code": "gdpr_art33"}).json()["results"]
    assert [o["code"] for o in gdpr_only] == ["gdpr_art33"]
    owed = legal.get("/api/v1/obligations/", {"applies": "yes"}).json()["results"]
    assert "gdpr_art33" in [o["code"] for o in owed] and "china_cac" not in [
        o["code"] for o in owed
    ]
    with time_machine.travel(T0 + timedelta(days=4)):
        overdue = legal.get("/api/v1/obligations/", {"overdue": "true"}).json()["results"]
    assert [o["code"] for o in overdue] == ["gdpr_art33"]


def test_communications_through_the_api(incident, users, api_client_for):
    draft = api_client_for(users["grc"]).post(
        url(incident, "communications/"),
        {
            "audience": "regulator",
            "channel": "portal",
            "subject": "Art. 33 notification",
            "content": "…",
        },
        format="json",
    )
    assert draft.status_code == 201, draft.content
    body = draft.json()
    assert (body["status"], body["approver_role"], body["drafted_by"]) == ("draft", "legal", "grc")
    cid = body["id"]
    too_early = api_client_for(users["grc"]).post(
        f"/api/v1/communications/{cid}/send/", {}, format="json"
    )
    assert too_early.status_code == 409
    refused = api_client_for(users["dpo"]).post(f"/api/v1/communications/{cid}/approve/")
    assert refused.status_code == 403 and "has legal approve" in refused.json()["message"]
    approved = api_client_for(users["legal"]).post(f"/api/v1/communications/{cid}/approve/")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "legal"
    sent = api_client_for(users["grc"]).post(
        f"/api/v1/communications/{cid}/send/", {}, format="json"
    )
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    listed = api_client_for(users["auditor"]).get(url(incident, "communications/")).json()
    assert [c["subject"] for c in listed] == ["Art. 33 notification"]
    engineer = api_client_for(users["engineer"]).post(
        url(incident, "communications/"),
        {"audience": "public", "channel": "blog", "subject": "x", "content": "y"},
        format="json",
    )
    assert engineer.status_code == 403


def test_vendor_coordination_meets_the_deployers_article_26_5_duty(
    users, make_system, api_client_for
):
    from disclosure import services

    system = make_system(
        name="Vendor LLM triage",
        organization_role="deployer",
        eu_ai_act_class="high_risk",
        annex_iii_area="essential_services",
        eu_market=True,
        supplier="Acme Models Ltd",
    )
    legal = api_client_for(users["legal"])
    with time_machine.travel(datetime(2028, 1, 10, 9, 0, tzinfo=UTC)):  # Art. 26 applies
        incident = file_incident(users["grc"], systems=[system], harm_flags=["fundamental_rights"])
        assessment = services.assessment_refresh(actor=users["legal"], incident=incident)
        art26 = assessment.obligations.get(code="eu_ai_act_art26_5")
        assert art26.proposed == "yes", art26.proposed_reason
        sent = legal.post(
            url(incident, "vendor-notices/"),
            {
                "system": system.pk,
                "basis": "art26_5",
                "channel": "e-mail",
                "content": "Serious incident.",
            },
            format="json",
        )
    assert sent.status_code == 201, sent.content
    notice = sent.json()
    assert notice["supplier"] == "Acme Models Ltd" and notice["obligation"] == art26.pk
    art26.refresh_from_db()
    assert art26.status == "submitted"
    early = legal.post(
        f"/api/v1/vendor-notices/{notice['id']}/acknowledge/",
        {"acknowledged_at": "2028-01-09T09:00:00Z"},
        format="json",
    )
    assert early.status_code == 400 and "acknowledged_at" in early.json()["fields"]
    with time_machine.travel(datetime(2028, 1, 11, 9, 0, tzinfo=UTC)):
        ack = legal.post(
            f"/api/v1/vendor-notices/{notice['id']}/acknowledge/",
            {"vendor_reference": "ACME-9"},
            format="json",
        )
        fix = legal.post(
            f"/api/v1/vendor-notices/{notice['id']}/fix/",
            {"fix_description": "Guardrail for the failing prompt class", "fixed_version": "4.2.1"},
            format="json",
        )
    assert ack.status_code == 200 and ack.json()["vendor_reference"] == "ACME-9"
    assert fix.status_code == 200 and fix.json()["fixed_version"] == "4.2.1"
    summaries = list(incident.timeline.values_list("summary", flat=True))
    assert any("Acme Models Ltd notified" in s for s in summaries)
    assert any("version 4.2.1" in s for s in summaries)
    refused = api_client_for(users["auditor"]).post(
        f"/api/v1/vendor-notices/{notice['id']}/fix/", {"fix_description": "x"}, format="json"
    )
    assert refused.status_code == 403
    other = make_system(name="No supplier")
    no_supplier = legal.post(
        url(incident, "vendor-notices/"),
        {"system": other.pk, "basis": "contract", "channel": "e-mail", "content": "x"},
        format="json",
    )
    assert no_supplier.status_code == 400 and "system" in no_supplier.json()["fields"]


def test_an_empty_facts_patch_proposes_the_assessment_as_it_is(incident, users, api_client_for):
    answer = api_client_for(users["dpo"]).patch(
        url(incident, "disclosure/facts/"), {}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "open" and len(answer.json()["obligations"]) == 21
    again = api_client_for(users["dpo"]).patch(
        url(incident, "disclosure/facts/"), {}, format="json"
    )
    assert again.status_code == 200
    assert incident.timeline.filter(summary__startswith="Disclosure facts changed").count() == 0
