"""An AI system's disclosure facts: the API (ETag / If-Match), the form reached from the
system's page, who may edit them (who edits the system's regulatory flags), the history of the
change, and the re-assessment of the open incidents on the system."""

import html as html_lib

import pytest
from django.urls import reverse

from disclosure import services
from disclosure.choices import AssessmentStatus
from disclosure.models import DisclosureAssessment, SystemFacts
from incidents.tests.factories import file_incident, sign_off_disclosure
from inventory import permissions as inventory_permissions

pytestmark = pytest.mark.django_db

OWNERS_WORDS = "Only GRC staff, the AI risk officer and the system's owners edit an AI system."


@pytest.fixture
def system(make_system):
    return make_system(name="Frontier assistant", eu_market=True)


def api_url(system):
    return f"/api/v1/systems/{system.pk}/disclosure-facts/"


def test_the_api_answers_the_facts_with_an_etag_and_honours_if_match(system, users, api_client_for):
    owner = api_client_for(users["engineer"])  # the system's business owner
    read = owner.get(api_url(system))
    assert read.status_code == 200
    assert read.json()["system"] == system.reference
    assert read.json()["frontier_developer"] is False and read["ETag"]
    saved = owner.patch(
        api_url(system), {"frontier_developer": True}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["frontier_developer"] is True
    assert saved["ETag"] != read["ETag"]
    stale = owner.patch(
        api_url(system), {"medical_device": True}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert stale.status_code == 412
    facts = SystemFacts.objects.get(system=system)
    assert facts.frontier_developer and not facts.medical_device


def test_an_unknown_fact_is_named_and_nothing_is_saved(system, users, api_client_for):
    answer = api_client_for(users["grc"]).patch(
        api_url(system), {"eu_ai_act_class": "high_risk", "medical_device": True}, format="json"
    )
    assert answer.status_code == 400
    assert "eu_ai_act_class" in answer.json()["fields"]
    assert not SystemFacts.objects.filter(system=system).exists()


@pytest.mark.parametrize("role", ["legal", "dpo", "auditor", "executive", "ethics"])
def test_who_does_not_edit_the_system_is_refused_in_the_inventorys_words(
    role, system, users, api_client_for
):
    client = api_client_for(users[role])
    assert client.get(api_url(system)).status_code == 200  # everyone with a role reads them
    refused = client.patch(api_url(system), {"medical_device": True}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == OWNERS_WORDS
    assert inventory_permissions.can_change_system(users[role], system).message == OWNERS_WORDS
    assert not SystemFacts.objects.filter(system=system).exists()


@pytest.mark.parametrize("role", ["grc", "risk_officer", "engineer"])
def test_managers_and_the_owner_edit_them(role, system, users, api_client_for):
    answer = api_client_for(users[role]).patch(
        api_url(system), {"cer_critical_entity": True}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert SystemFacts.objects.get(system=system).cer_critical_entity


def test_a_change_reopens_the_signed_off_assessment_of_an_open_incident(system, users):
    signed = file_incident(users["grc"], systems=[system], title="Signed off")
    sign_off_disclosure(signed, users["grc"])
    unassessed = file_incident(users["grc"], systems=[system], title="Not assessed")
    services.system_facts_update(
        actor=users["engineer"], system=system, data={"frontier_developer": True}
    )
    assessment = signed.disclosure_assessment
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.REOPENED
    assert system.reference in assessment.reopened_reason
    assert "frontier_developer" in assessment.reopened_reason
    sb53 = assessment.obligations.get(code="ca_sb53")
    assert sb53.proposed == "undetermined"  # now asks whether it was a critical safety incident
    assert signed.timeline.filter(summary__contains="reopened").exists()
    # An incident nobody assessed yet is not assessed behind their back.
    assert not DisclosureAssessment.objects.filter(incident=unassessed).exists()


def test_an_unchanged_save_keeps_the_sign_off(system, users):
    services.system_facts_update(actor=users["grc"], system=system, data={"medical_device": True})
    signed = file_incident(users["grc"], systems=[system])
    assessment = sign_off_disclosure(signed, users["grc"])
    services.system_facts_update(actor=users["grc"], system=system, data={"medical_device": True})
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SIGNED_OFF


# --- the page ---------------------------------------------------------------------------------


def test_the_system_page_shows_the_facts_and_offers_the_form_to_its_owner(client, system, users):
    page = reverse("inventory:system-detail", kwargs={"pk": system.pk})
    form_url = reverse("disclosure:system-facts", kwargs={"pk": system.pk})
    client.force_login(users["auditor"])
    html = client.get(page).content.decode()
    assert 'id="disclosure-facts"' in html and "Frontier developer (California SB 53)" in html
    assert form_url not in html
    refused = client.get(form_url)
    assert refused.status_code == 403 and OWNERS_WORDS in html_lib.unescape(
        refused.content.decode()
    )
    client.force_login(users["engineer"])
    assert f'href="{form_url}"' in client.get(page).content.decode()
    form = client.get(form_url)
    assert form.status_code == 200
    version = form.context["form"].initial["version"]
    saved = client.post(form_url, {"frontier_developer": "on", "version": version})
    assert saved.status_code == 302 and saved["Location"].endswith("#disclosure-facts")
    facts = SystemFacts.objects.get(system=system)
    assert facts.frontier_developer
    history_url = reverse("object-history", args=["inventory", "aisystem", system.pk])
    assert history_url in client.get(page).content.decode()


def test_a_change_is_in_the_systems_history(client, system, users):
    history_url = reverse("object-history", args=["inventory", "aisystem", system.pk])
    client.force_login(users["auditor"])
    before = client.get(history_url).content.decode()
    assert "Created" in before  # the system's own history (positive control)
    assert "Disclosure facts" not in before
    services.system_facts_update(
        actor=users["engineer"], system=system, data={"frontier_developer": True}
    )
    services.system_facts_update(
        actor=users["grc"], system=system, data={"frontier_developer": False}
    )
    entries = client.get(history_url).context["entries"]
    changed, created = entries[0], entries[1]
    assert (changed.subject, changed.action, changed.who) == (
        "disclosure facts",
        "changed",
        users["grc"],
    )
    assert [(c.field, c.old, c.new) for c in changed.changes] == [
        ("frontier_developer", True, False)
    ]
    assert (created.subject, created.action, created.who) == (
        "disclosure facts",
        "created",
        users["engineer"],
    )
    assert ("frontier_developer", True) in [(c.field, c.new) for c in created.changes]
    assert any(e.subject == "" for e in entries)  # the system's own entries are still there
    html = client.get(history_url).content.decode()
    assert "Disclosure facts" in html and "Frontier developer (California SB 53)" in html


def test_a_stale_form_is_refused_with_the_reason_on_the_form(client, system, users):
    form_url = reverse("disclosure:system-facts", kwargs={"pk": system.pk})
    client.force_login(users["engineer"])
    version = client.get(form_url).context["form"].initial["version"]
    services.system_facts_update(actor=users["grc"], system=system, data={"medical_device": True})
    stale = client.post(form_url, {"frontier_developer": "on", "version": version})
    assert stale.status_code == 200
    assert stale.context["form"].non_field_errors()
    assert not SystemFacts.objects.get(system=system).frontier_developer
