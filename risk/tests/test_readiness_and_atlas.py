"""Readiness evidence and MITRE ATLAS on risks: a closed exercise backs the incident-management
controls (A.8.3, A.8.4) in the evidence map without anyone linking it; a risk's ATLAS techniques
set through the API (by ID, If-Match) and its page, refused IDs and refused people."""

import json

import pytest

from incidents.choices import Kind, Status
from incidents.models import AtlasTechnique
from incidents.tests.factories import file_incident, incident_at
from risk import selectors, services
from risk.atlas import risk_set_atlas_techniques
from risk.models import Control

from .factories import raise_risk

pytestmark = pytest.mark.django_db


def _row(code):
    return next(row for row in selectors.evidence_map() if row["control"].code == code)


def test_a_closed_exercise_is_readiness_evidence_for_the_incident_controls(users, make_system):
    grc = users["grc"]
    for code in ("A.8.3", "A.8.4"):
        services.statement_update(
            actor=grc, control=Control.objects.get(code=code), data={"applicability": "applicable"}
        )
    assert _row("A.8.4")["gap"] and _row("A.8.3")["gap"]
    running = file_incident(grc, kind=Kind.EXERCISE, title="Drill still running")
    real = incident_at(Status.CLOSED, grc, make_system(), title="A real closed incident")
    assert _row("A.8.4")["gap"]  # neither an open exercise nor a real incident is readiness
    drill = incident_at(
        Status.CLOSED, grc, make_system(), kind=Kind.EXERCISE, title="Refund jailbreak drill"
    )
    for code in ("A.8.3", "A.8.4"):
        row = _row(code)
        assert not row["gap"]
        record = next(r for r in row["records"] if r["kind"] == "exercise")
        assert record["target_id"] == drill.pk and record["label"].endswith(
            "Refund jailbreak drill"
        )
        assert {r["target_id"] for r in row["records"]} == {drill.pk}
    assert running.pk and real.pk
    assert all(r["kind"] != "exercise" for r in _row("A.6.2.6")["records"])


def test_the_evidence_map_page_and_api_show_the_exercise(
    client, users, make_system, api_client_for
):
    grc = users["grc"]
    drill = incident_at(
        Status.CLOSED, grc, make_system(), kind=Kind.EXERCISE, title="Refund jailbreak drill"
    )
    client.force_login(grc)
    page = client.get("/risks/evidence-map/").content.decode()
    assert f"{drill.reference} Refund jailbreak drill" in page
    rows = api_client_for(users["auditor"]).get("/api/v1/evidence-map/").json()
    row = next(r for r in rows if r["code"] == "A.8.4")
    record = row["records"][0]
    assert record["kind"] == "exercise" and record["target_id"] == drill.pk


def test_a_restricted_exercise_is_named_by_its_reference_only(users, make_system):
    grc = users["grc"]
    drill = incident_at(
        Status.CLOSED,
        grc,
        make_system(),
        kind=Kind.EXERCISE,
        title="Drill about a named employee",
        restricted=True,
    )
    record = next(r for r in _row("A.8.4")["records"] if r["target_id"] == drill.pk)
    assert "named employee" not in record["label"] and drill.reference in record["label"]


def test_a_risks_techniques_are_set_by_id_through_the_api(users, api_client_for):
    risk = raise_risk(users["risk_officer"])
    client = api_client_for(users["risk_officer"])
    url = f"/api/v1/risks/{risk.pk}/atlas-techniques/"
    etag = client.get(url)["ETag"]
    answer = client.put(
        url, {"atlas_techniques": ["AML.T0051", "AML.T0057"]}, format="json", HTTP_IF_MATCH=etag
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["atlas_techniques"] == [
        {"id": "AML.T0051", "name": "LLM Prompt Injection"},
        {"id": "AML.T0057", "name": "LLM Data Leakage"},
    ]
    stale = client.put(url, {"atlas_techniques": []}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert risk.entries.order_by("-at", "-id").first().data["fields"] == ["atlas_techniques"]


def test_an_unknown_technique_on_a_risk_is_a_clear_400(users, api_client_for):
    risk = raise_risk(users["risk_officer"])
    answer = api_client_for(users["risk_officer"]).put(
        f"/api/v1/risks/{risk.pk}/atlas-techniques/",
        {"atlas_techniques": ["AML.T0000.999"]},
        format="json",
    )
    assert answer.status_code == 400
    assert "AML.T0000.999" in json.dumps(answer.json())
    assert not risk.technique_links.exists()


def test_who_may_not_edit_the_register_cannot_tag_a_risk(users, api_client_for):
    risk = raise_risk(users["risk_officer"])
    url = f"/api/v1/risks/{risk.pk}/atlas-techniques/"
    auditor = api_client_for(users["auditor"])
    assert auditor.get(url).status_code == 200  # reading is allowed
    answer = auditor.put(url, {"atlas_techniques": ["AML.T0051"]}, format="json")
    assert answer.status_code == 403
    with pytest.raises(Exception, match="."):
        risk_set_atlas_techniques(
            actor=users["auditor"],
            risk=risk,
            techniques=[AtlasTechnique.objects.get(atlas_id="AML.T0051")],
        )
    assert not risk.technique_links.exists()


def test_the_risk_page_shows_and_changes_the_techniques(client, users):
    officer = users["risk_officer"]
    risk = raise_risk(officer)
    client.force_login(officer)
    page = client.get(f"/risks/{risk.pk}/atlas/")
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        '<optgroup label="AML.TA0010 Exfiltration">' in body
        and "AML.T0057 LLM Data Leakage" in body
    )
    answer = client.post(
        f"/risks/{risk.pk}/atlas/",
        {"atlas_techniques": ["AML.T0057"], "version": page.context["form"].initial["version"]},
    )
    assert answer.status_code == 302
    detail = client.get(risk.get_absolute_url()).content.decode()
    assert "AML.T0057" in detail and "LLM Data Leakage" in detail
    bad = client.post(f"/risks/{risk.pk}/atlas/", {"atlas_techniques": ["nope"], "version": "x"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_the_auditor_is_refused_the_techniques_page(client, users):
    risk = raise_risk(users["risk_officer"])
    client.force_login(users["auditor"])
    assert client.get(f"/risks/{risk.pk}/atlas/").status_code == 403
