"""Supplier notices on the incident page: the list, the notice, the supplier's acknowledgement
and fix — offered to who coordinates with suppliers, errors and refusals in the services' and
rules' words."""

import html as html_lib
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from disclosure import permissions, services
from disclosure.models import VendorNotice
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

T0 = datetime(2028, 1, 10, 9, 0, tzinfo=UTC)  # Art. 26 applies


@pytest.fixture(autouse=True)
def in_2028():
    """The whole test (sessions included) runs when Art. 26 applies, with time moving on."""
    with time_machine.travel(T0, tick=True):
        yield


@pytest.fixture
def system(make_system):
    return make_system(
        name="Vendor LLM triage",
        organization_role="deployer",
        eu_ai_act_class="high_risk",
        annex_iii_area="essential_services",
        eu_market=True,
        supplier="Acme Models Ltd",
    )


@pytest.fixture
def incident(users, system):
    incident = file_incident(users["grc"], systems=[system], harm_flags=["fundamental_rights"])
    services.assessment_refresh(actor=users["legal"], incident=incident)
    return incident


def section(client, incident) -> str:
    html = client.get(incident.get_absolute_url()).content.decode()
    return html.split('id="vendor-notices"')[1].split("</section>")[0]


def flashed(response) -> str:
    """The message the action left for the next page (the last one queued)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_legal_notifies_the_provider_and_records_acknowledgement_and_fix(
    client, incident, system, users
):
    client.force_login(users["legal"])
    record_url = reverse("disclosure:vendor-notice-record", kwargs={"pk": incident.pk})
    html = section(client, incident)
    assert "No supplier notified yet." in html and f'action="{record_url}"' in html
    response = client.post(
        record_url,
        {
            "system": system.pk,
            "basis": "art26_5",
            "channel": "e-mail",
            "content": "Serious incident on the triage model.",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("#disclosure")
    assert flashed(response) == "The notice to Acme Models Ltd was recorded."
    notice = VendorNotice.objects.get(incident=incident)
    art26 = incident.disclosure_assessment.obligations.get(code="eu_ai_act_art26_5")
    assert notice.obligation == art26 and art26.status == "submitted"  # the duty is met
    ack_url = reverse("disclosure:vendor-notice-acknowledge", kwargs={"pk": notice.pk})
    fix_url = reverse("disclosure:vendor-notice-fix", kwargs={"pk": notice.pk})
    html = section(client, incident)
    assert "Acme Models Ltd" in html and "Not acknowledged yet" in html
    assert f'action="{ack_url}"' in html and f'action="{fix_url}"' in html
    client.post(ack_url, {"vendor_reference": "ACME-9"})
    client.post(fix_url, {"fix_description": "Guardrail added", "fixed_version": "4.2.1"})
    html = section(client, incident)
    assert "ACME-9" in html and "version 4.2.1" in html and "Guardrail added" in html
    assert f'action="{ack_url}"' not in html and f'action="{fix_url}"' not in html  # done


def test_errors_are_shown_in_the_services_and_forms_words(client, incident, system, users):
    client.force_login(users["legal"])
    record_url = reverse("disclosure:vendor-notice-record", kwargs={"pk": incident.pk})
    empty = client.post(record_url, {"system": system.pk, "basis": "contract"})
    assert empty.status_code == 302
    assert flashed(empty) == (
        "Channel: This field is required. What was said: This field is required."
    )
    assert not VendorNotice.objects.exists()
    client.post(
        record_url,
        {"system": system.pk, "basis": "contract", "channel": "portal", "content": "x"},
    )
    notice = VendorNotice.objects.get()
    early = client.post(
        reverse("disclosure:vendor-notice-acknowledge", kwargs={"pk": notice.pk}),
        {"acknowledged_at": "2028-01-09T09:00"},
    )
    assert flashed(early) == "The acknowledgement cannot come before the notice."
    notice.refresh_from_db()
    assert notice.acknowledged_at is None


@pytest.mark.parametrize("role", ["auditor", "engineer", "executive"])
def test_who_does_not_coordinate_sees_the_notices_but_gets_no_forms_and_is_refused(
    role, client, incident, system, users
):
    notice = services.vendor_notice_record(
        actor=users["legal"],
        incident=incident,
        system=system,
        data={"basis": "contract", "channel": "portal", "content": "Heads-up."},
    )
    client.force_login(users[role])
    html = section(client, incident)
    assert "Acme Models Ltd" in html and "Heads-up." in html
    assert "<form" not in html
    words = permissions.can_communicate(users[role]).message
    for url, body in (
        (reverse("disclosure:vendor-notice-record", kwargs={"pk": incident.pk}), {}),
        (reverse("disclosure:vendor-notice-acknowledge", kwargs={"pk": notice.pk}), {}),
        (
            reverse("disclosure:vendor-notice-fix", kwargs={"pk": notice.pk}),
            {"fix_description": "x"},
        ),
    ):
        refused = client.post(url, body)
        assert refused.status_code == 403
        assert words in html_lib.unescape(refused.content.decode())
    notice.refresh_from_db()
    assert notice.acknowledged_at is None and notice.fix_description == ""


def test_without_a_supplier_in_the_inventory_no_notice_is_offered(client, users, make_system):
    own = make_system(name="In-house ranker")
    incident = file_incident(users["grc"], systems=[own])
    client.force_login(users["legal"])
    html = section(client, incident)
    assert "names a supplier in the inventory" in html
    assert reverse("disclosure:vendor-notice-record", kwargs={"pk": incident.pk}) not in html


def test_the_supplier_fix_is_tracked_by_one_of_the_incidents_capas(
    client, api_client_for, incident, system, users, make_system
):
    """The fix names the CAPA that tracks it on our side — only a CAPA of this incident that is
    not cancelled; the page, the API and the case file say which."""
    from capa import services as capa_services
    from capa.tests.factories import capa_data

    grc, legal = users["grc"], users["legal"]
    ours = capa_services.capa_create(actor=grc, data=capa_data(grc), incidents=[incident])
    elsewhere = file_incident(grc, systems=[make_system(name="Other")])
    theirs = capa_services.capa_create(actor=grc, data=capa_data(grc), incidents=[elsewhere])
    notice = services.vendor_notice_record(
        actor=legal,
        incident=incident,
        system=system,
        data={"basis": "contract", "channel": "e-mail", "content": "Please fix."},
    )
    client.force_login(legal)
    fix_url = reverse("disclosure:vendor-notice-fix", kwargs={"pk": notice.pk})
    html = section(client, incident)
    assert f'value="{ours.pk}"' in html and f'value="{theirs.pk}"' not in html  # offered: ours
    refused = client.post(fix_url, {"fix_description": "Patched", "capa": theirs.pk})
    assert "Select a valid choice" in flashed(refused)
    notice.refresh_from_db()
    assert notice.fixed_at is None and notice.capa is None
    api = api_client_for(legal)
    answer = api.post(
        f"/api/v1/vendor-notices/{notice.pk}/fix/",
        {"fix_description": "Patched", "capa": theirs.pk},
        format="json",
    )
    assert answer.status_code == 400 and "not a CAPA of this incident" in str(answer.json())
    answer = api.post(
        f"/api/v1/vendor-notices/{notice.pk}/fix/",
        {"fix_description": "Patched", "fixed_version": "4.3", "capa": ours.pk},
        format="json",
    )
    assert answer.status_code == 200 and answer.json()["capa"] == ours.reference
    assert f"tracked by {ours.reference}" in section(client, incident)
    notice.refresh_from_db()
    assert notice.capa == ours and notice.history.first().capa_id == ours.pk  # audited
