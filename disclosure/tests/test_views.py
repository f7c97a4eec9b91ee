"""The disclosure section on the incident page and the Obligations page, in the browser's
shape (Django test client): what each role is offered, and refusals in the rules' words."""

import pytest

from aims.accounts.services import user_upsert_with_role
from disclosure import services
from disclosure.models import Obligation
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(users, make_system):
    system = make_system(name="Claims triage", gdpr_role="controller")
    return file_incident(users["grc"], systems=[system], harm_flags=["personal_data_breach"])


def page(client, incident):
    return client.get(incident.get_absolute_url()).content.decode()


def test_the_incident_page_offers_the_assessment_to_who_may_assess(client, incident, users):
    client.force_login(users["dpo"])
    html = page(client, incident)
    assert "Disclosure assessment" in html and "Propose the obligations" in html
    client.post(f"/disclosure/incidents/{incident.pk}/refresh/")
    html = page(client, incident)
    assert "gdpr_art33" in html and "Regulation (EU) 2016/679 Art. 33" in html
    assert 'action="/disclosure/obligations/' in html and "Confirm" in html
    assert "Sign off the assessment" not in html  # legal's
    client.force_login(users["legal"])
    assert "Sign off the assessment" in page(client, incident)


def test_an_auditor_reads_the_assessment_but_gets_no_forms(client, incident, users):
    services.assessment_refresh(actor=users["dpo"], incident=incident)
    client.force_login(users["auditor"])
    html = page(client, incident)
    assert "gdpr_art33" in html
    assert "/disclosure/obligations/" not in html.split('id="disclosure"')[1].split("</section>")[
        0
    ].replace('href="/disclosure/obligations/"', "")
    assert "Save facts" not in html and "Sign off the assessment" not in html


def test_confirming_from_the_page_and_the_refusal_in_the_rules_words(client, incident, users):
    assessment = services.assessment_refresh(actor=users["dpo"], incident=incident)
    gdpr = assessment.obligations.get(code="gdpr_art33")
    client.force_login(users["dpo"])
    response = client.post(
        f"/disclosure/obligations/{gdpr.pk}/confirm/",
        {"applies": "yes", "reason": "Risk to people."},
    )
    assert response.status_code == 302
    gdpr.refresh_from_db()
    assert gdpr.applies == "yes" and gdpr.confirmed_by == users["dpo"]
    client.force_login(users["engineer"])  # sees the incident (owns the system), may not assess
    refused = client.post(
        f"/disclosure/obligations/{gdpr.pk}/confirm/", {"applies": "no", "reason": "x"}
    )
    assert refused.status_code == 403
    assert (
        "Only legal, the DPO, GRC staff and the AI risk officer assess disclosure."
        in refused.content.decode()
    )
    gdpr.refresh_from_db()
    assert gdpr.applies == "yes"


def test_facts_from_the_page_re_propose(client, incident, users):
    services.assessment_refresh(actor=users["dpo"], incident=incident)
    client.force_login(users["dpo"])
    client.post(
        f"/disclosure/incidents/{incident.pk}/facts/",
        {"breach_risk": "high", "data_unintelligible": "false", "phi_residents_by_state": "ca=600"},
    )
    art34 = Obligation.objects.get(code="gdpr_art34")
    assert art34.proposed == "yes"
    assert incident.disclosure_facts.phi_residents_by_state == {"CA": 600}
    bad = client.post(
        f"/disclosure/incidents/{incident.pk}/facts/",
        {"phi_residents_by_state": "California"},
        follow=True,
    )
    assert "Write each state as XX=number" in bad.content.decode()


def test_the_obligations_page_lists_soonest_first_and_filters(client, incident, users, make_user):
    services.incident_facts_update(
        actor=users["dpo"], incident=incident, data={"breach_risk": "risk"}
    )
    client.force_login(users["legal"])

    def rows(params):
        html = client.get("/disclosure/obligations/", params).content.decode()
        return html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""

    owed = rows({"applies": "yes"})
    assert incident.reference in owed and ">gdpr_art33<" in owed and ">china_cac<" not in owed
    china = rows({"code": "china_cac"})
    assert ">china_cac<" in china and ">gdpr_art33<" not in china
    client.force_login(make_user("engineer"))  # owns nothing
    assert rows({}) == ""


def test_communications_from_the_page(client, incident, users):
    from disclosure.models import Communication

    client.force_login(users["grc"])
    client.post(
        f"/disclosure/incidents/{incident.pk}/communications/",
        {
            "audience": "internal",
            "channel": "chat",
            "subject": "Status update",
            "content": "Contained.",
        },
    )
    communication = Communication.objects.get()
    assert communication.approver_role == "grc"
    html = page(client, incident)
    assert "Status update" in html and "Approve" not in html  # the drafter does not approve
    second_grc, _ = user_upsert_with_role(username="grc-two", role="grc")
    client.force_login(second_grc)
    assert f'action="/disclosure/communications/{communication.pk}/approve/"' in page(
        client, incident
    )
    client.post(f"/disclosure/communications/{communication.pk}/approve/")
    client.post(f"/disclosure/communications/{communication.pk}/send/")
    communication.refresh_from_db()
    assert communication.status == "sent" and communication.sent_by == second_grc
    client.force_login(users["auditor"])
    refused = client.post(f"/disclosure/communications/{communication.pk}/send/")
    assert refused.status_code == 403
