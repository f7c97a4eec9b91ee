"""The CAPA pages: the register with its filters, the CAPA page with what this person may do,
the incident page's CAPA section, findings, the home panel and the case-file section."""

import pytest

from capa.choices import ActionStatus
from capa.selectors import capa_case_file_section as case_file_section

from .factories import capa_at, raise_capa

pytestmark = pytest.mark.django_db


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def owner(users):
    return users["engineer"]


def test_register_filters_and_sorts(client, users, grc, owner):
    open_capa = raise_capa(grc, owner, title="Open one", horizon="immediate")
    started = capa_at(ActionStatus.IN_PROGRESS, actor=grc, owner=grc, title="Started one")
    client.force_login(users["auditor"])
    page = client.get("/capa/").content.decode()
    assert open_capa.reference in page and started.reference in page
    page = client.get("/capa/?status=in_progress").content.decode()
    assert started.reference in page and open_capa.reference not in page
    page = client.get(
        f"/capa/?owner={owner.pk}&horizon=immediate&ordering=-reference"
    ).content.decode()
    assert open_capa.reference in page and started.reference not in page
    assert client.get("/capa/?overdue=true").status_code == 200
    assert client.get("/capa/?status=nonsense").status_code == 200


def test_capa_page_offers_what_the_person_may_do(client, users, grc, owner):
    capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
    client.force_login(owner)
    page = client.get(f"/capa/{capa.pk}/").content.decode()
    assert "Send back for rework" in page
    assert "Record the result" not in page  # the owner never verifies
    client.force_login(users["risk_officer"])
    page = client.get(f"/capa/{capa.pk}/").content.decode()
    assert "Record the result" in page and "Verified effective" in page
    client.force_login(users["auditor"])
    page = client.get(f"/capa/{capa.pk}/").content.decode()
    assert "No status change open to you." in page and "Record the result" not in page


def test_the_verdict_through_the_pages(client, users, grc, owner):
    capa = capa_at(ActionStatus.IMPLEMENTED, actor=grc, owner=owner)
    client.force_login(owner)
    refused = client.post(f"/capa/{capa.pk}/check/result/", {"result": "passed"})
    assert refused.status_code == 403
    client.force_login(users["risk_officer"])
    client.post(f"/capa/{capa.pk}/transition/", {"to": "verified_effective"})
    capa.refresh_from_db()
    assert capa.status == ActionStatus.IMPLEMENTED  # refused: no passed check yet
    assert client.post(f"/capa/{capa.pk}/check/result/", {"result": "passed"}).status_code == 302
    client.post(f"/capa/{capa.pk}/transition/", {"to": "verified_effective"})
    capa.refresh_from_db()
    assert capa.status == ActionStatus.VERIFIED_EFFECTIVE


def test_create_from_an_incident_offers_the_playbook(client, grc, owner):
    from incidents.tests.factories import file_incident

    incident = file_incident(grc)
    client.force_login(grc)
    page = client.get(
        f"/capa/new/?incident={incident.pk}&category=distribution_shift"
    ).content.decode()
    assert "Monitor the input distribution" in page and "Update the training data" in page
    page = client.get(
        f"/capa/new/?incident={incident.pk}&category=distribution_shift&suggestion=training_data_update"
    ).content.decode()
    assert 'value="Update the training data"' in page
    response = client.post(
        "/capa/new/",
        {
            "incident": incident.pk,
            "title": "Update the training data",
            "description": "Add the shifted population.",
            "action_type": "corrective",
            "source": "incident",
            "root_cause_category": "distribution_shift",
            "horizon": "long_term",
            "owner": owner.pk,
        },
    )
    assert response.status_code == 302
    capa = incident.capas.get()
    assert capa.root_cause_category == "distribution_shift"
    incident_page = client.get(incident.get_absolute_url()).content.decode()
    assert capa.reference in incident_page and 'id="capa"' in incident_page


def test_edit_with_a_stale_form_overwrites_nothing(client, grc, owner):
    from aims.core.concurrency import version_of
    from capa import services

    capa = raise_capa(grc, owner)
    stale = version_of(capa)
    services.capa_update(actor=grc, capa=capa, data={"title": "Changed elsewhere"})
    client.force_login(owner)
    response = client.post(
        f"/capa/{capa.pk}/edit/",
        {
            "version": stale,
            "title": "Mine",
            "description": capa.description,
            "action_type": capa.action_type,
            "horizon": capa.horizon,
            "due_at": capa.due_at.strftime("%Y-%m-%dT%H:%M"),
            "owner": owner.pk,
        },
    )
    assert response.status_code == 200 and "changed by someone else" in response.content.decode()
    capa.refresh_from_db()
    assert capa.title == "Changed elsewhere"


def test_no_capa_from_the_incident_page(client, users, grc):
    from incidents.tests.factories import file_incident

    incident = file_incident(grc)
    client.force_login(users["auditor"])
    assert "Record the decision" not in client.get(incident.get_absolute_url()).content.decode()
    assert (
        client.post(f"/capa/incidents/{incident.pk}/no-capa/", {"reason": "x"}).status_code == 403
    )
    client.force_login(grc)
    assert "Record the decision" in client.get(incident.get_absolute_url()).content.decode()
    client.post(f"/capa/incidents/{incident.pk}/no-capa/", {"reason": "Duplicate of another"})
    assert "No CAPA needed, decided by" in client.get(incident.get_absolute_url()).content.decode()


def test_findings_pages(client, users, grc):
    client.force_login(grc)
    response = client.post(
        "/capa/findings/new/",
        {
            "title": "No effectiveness checks",
            "audit_kind": "internal",
            "audit_reference": "IA-1",
            "classification": "major",
            "clause": "10.2",
            "description": "d",
            "objective_evidence": "e",
        },
    )
    assert response.status_code == 302
    client.force_login(users["auditor"])
    assert "FND-0001" in client.get("/capa/findings/").content.decode()
    assert client.get("/capa/findings/new/").status_code == 403
    page = client.get(response["Location"]).content.decode()
    assert "No effectiveness checks" in page and "No status change open to you." in page


def test_home_panel_lists_my_capas(client, grc, owner):
    capa = raise_capa(grc, owner)
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert "My CAPAs" in page and capa.reference in page


def test_case_file_section_shows_the_effectiveness_result(users, grc, owner):
    capa = capa_at(
        ActionStatus.VERIFIED_EFFECTIVE, actor=grc, owner=owner, verifier=users["risk_officer"]
    )
    section = case_file_section(capa.incidents.get())
    [row] = section["rows"]
    assert (
        row["capa"] == capa and row["passed"] and row["check"].verified_by == users["risk_officer"]
    )
