"""Incidents change risks: from an incident, mark a risk as materialised, re-rate it (reason
required, old and new kept) or raise a new one; both records show the link and the incident's
timeline says so. Both ways for every rule, on the page and over the API."""

import pytest

from aims.core.exceptions import PermissionRefused, ValidationFailed
from incidents.models import TimelineEntry
from incidents.tests.factories import file_incident
from risk import incident_links, services
from risk.models import Control, RiskAcceptance, RiskIncidentLink
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, make_system):
    system = make_system(name="Support assistant", business_owner=users["engineer"])
    incident = file_incident(users["grc"], systems=[system], title="Refund promised wrongly")
    control = Control.objects.get(code="A.6.2.6")
    risk = treated_risk(users["grc"], controls=[control], systems=[system], residual=(2, 4))
    return {"system": system, "incident": incident, "risk": risk}


def _timeline(incident):
    return list(
        TimelineEntry.objects.filter(incident=incident, data__module="risk").values_list(
            "summary", flat=True
        )
    )


def test_materialised_shows_on_both_records(users, world):
    link = incident_links.incident_risk_materialised(
        actor=users["grc"], incident=world["incident"], risk=world["risk"], reason="Exactly this"
    )
    assert link.kind == "materialised"
    assert _timeline(world["incident"]) == [
        f"Risk {world['risk'].reference} ({world['risk'].title}) marked as materialised: "
        "Exactly this"
    ]
    assert world["risk"].entries.filter(kind="incident").exists()


def test_rerating_needs_a_reason_keeps_old_and_new_and_ends_an_acceptance(users, world):
    risk = world["risk"]
    services.risk_accept(actor=users["risk_officer"], risk=risk, rationale="Low residual")
    with pytest.raises(ValidationFailed, match="Say why the incident changes the rating"):
        incident_links.incident_risk_rerate(
            actor=users["grc"],
            incident=world["incident"],
            risk=risk,
            which="residual",
            likelihood=4,
            impact=4,
            reason=" ",
        )
    link = incident_links.incident_risk_rerate(
        actor=users["grc"],
        incident=world["incident"],
        risk=risk,
        which="residual",
        likelihood=4,
        impact=4,
        reason="It happened twice in a week",
    )
    assert (link.old_rating["score"], link.new_rating["score"]) == (8, 16)
    risk.refresh_from_db()
    assert (risk.status, risk.residual_score) == ("assessed", 16)
    assert RiskAcceptance.objects.get(risk=risk).revoked_at is not None
    assert (
        "re-rated: L2 x I4 = 8 -> L4 x I4 = 16: It happened twice in a week"
        in _timeline(world["incident"])[0]
    )
    rated = risk.entries.filter(kind="rated").last()
    assert rated.data["incident"]["reference"] == world["incident"].reference


def test_raising_a_risk_from_an_incident_takes_its_systems(users, world):
    link = incident_links.incident_risk_raise(
        actor=users["risk_officer"],
        incident=world["incident"],
        data={
            "title": "Policy retrieval stale",
            "description": "Index not refreshed.",
            "category": "performance",
        },
    )
    assert list(link.risk.systems.all()) == [world["system"]]
    assert link.risk.owner == users["risk_officer"]
    assert "raised from this incident" in _timeline(world["incident"])[0]


@pytest.mark.parametrize("role", ["auditor", "engineer", "legal"])
def test_only_register_editors_change_risks_from_an_incident(users, world, role):
    with pytest.raises(PermissionRefused, match="change the risk register from an incident"):
        incident_links.incident_risk_materialised(
            actor=users[role], incident=world["incident"], risk=world["risk"]
        )
    assert not RiskIncidentLink.objects.exists()


def test_the_incident_page_section_and_its_forms(client, users, world):
    incident = world["incident"]
    client.force_login(users["grc"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="risks"' in page and f"/risks/incidents/{incident.pk}/link/" in page
    answer = client.post(
        f"/risks/incidents/{incident.pk}/rerate/",
        {
            "risk": world["risk"].reference,
            "which": "residual",
            "likelihood": "3",
            "impact": "4",
            "reason": "Near miss last week",
        },
    )
    assert answer.status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert world["risk"].reference in page and "Risk re-rated" in page
    risk_page = client.get(world["risk"].get_absolute_url()).content.decode()
    assert incident.reference in risk_page
    client.force_login(users["auditor"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="risks"' in page and f"/risks/incidents/{incident.pk}/link/" not in page
    refused = client.post(
        f"/risks/incidents/{incident.pk}/link/", {"risk": world["risk"].reference}
    )
    assert refused.status_code == 403


def test_the_api_both_ways(users, world, api_client_for):
    incident = world["incident"]
    url = f"/api/v1/incidents/{incident.pk}/risks/"
    body = {"risk": world["risk"].pk, "reason": "Same failure"}
    refused = api_client_for(users["auditor"]).post(f"{url}materialised/", body, format="json")
    assert refused.status_code == 403
    made = api_client_for(users["grc"]).post(f"{url}materialised/", body, format="json")
    assert made.status_code == 201 and made.json()["kind"] == "materialised"
    rerate = api_client_for(users["grc"]).post(
        f"{url}rerate/",
        {"risk": world["risk"].pk, "which": "residual", "likelihood": 5, "impact": 4},
        format="json",
    )
    assert rerate.status_code == 400  # the reason is required
    listed = api_client_for(users["auditor"]).get(url).json()
    assert [row["kind"] for row in listed] == ["materialised"]
    # A risk the engineer may not see (on no system of theirs) is left out of their answer.
    other = raise_risk(users["grc"])
    incident_links.incident_risk_materialised(actor=users["grc"], incident=incident, risk=other)
    seen_by_auditor = [row["risk"] for row in api_client_for(users["auditor"]).get(url).json()]
    seen_by_engineer = [row["risk"] for row in api_client_for(users["engineer"]).get(url).json()]
    assert seen_by_auditor == [world["risk"].reference, other.reference]
    assert seen_by_engineer == [world["risk"].reference]
