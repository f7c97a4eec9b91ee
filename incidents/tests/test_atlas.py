"""MITRE ATLAS on incidents: the catalogue loaded from the published matrix (with its release),
reloading a newer release, techniques set through the API and the form, refused IDs, the
register filter and the catalogue endpoint."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents import atlas, services
from incidents.models import AtlasTactic, AtlasTechnique, Incident

from .factories import file_incident

pytestmark = pytest.mark.django_db

CATALOGUE_API = "/api/v1/atlas/"


def detail(incident):
    return f"/api/v1/incidents/{incident.pk}/"


def test_the_catalogue_is_the_published_release_with_its_version():
    data = atlas.read_catalogue()
    assert data["version"] == "4.5.2"
    assert data["source"].startswith("https://github.com/mitre-atlas/atlas-data/")
    assert AtlasTactic.objects.count() == 14
    injection = AtlasTechnique.objects.get(atlas_id="AML.T0051")
    assert injection.name == "LLM Prompt Injection"
    assert injection.atlas_version == "4.5.2" and injection.current
    assert sorted(injection.tactics.values_list("atlas_id", flat=True)) == [
        "AML.TA0004",
        "AML.TA0006",
        "AML.TA0007",
        "AML.TA0012",
    ]
    direct = AtlasTechnique.objects.get(atlas_id="AML.T0051.000")
    assert direct.name == "Direct" and direct.parent == injection
    assert direct.label == "AML.T0051.000 LLM Prompt Injection: Direct"
    # A sub-technique sits under its parent's tactics.
    assert set(direct.tactics.values_list("atlas_id", flat=True)) == set(
        injection.tactics.values_list("atlas_id", flat=True)
    )
    assert AtlasTechnique.objects.get(atlas_id="AML.T0054").name == "LLM Jailbreak"
    assert AtlasTactic.objects.get(atlas_id="AML.TA0000").name == "ML Model Access"


def test_a_newer_release_renames_adds_and_retires_but_keeps_what_records_name(
    users, tmp_path, capsys
):
    incident = file_incident(users["grc"])
    retiring = AtlasTechnique.objects.get(atlas_id="AML.T0057")
    services.incident_update(
        actor=users["grc"], incident=incident, data={"atlas_techniques": [retiring]}
    )
    data = atlas.read_catalogue()
    data["version"] = "9.9.0"
    data["techniques"] = [t for t in data["techniques"] if t["id"] != "AML.T0057"]
    next(t for t in data["techniques"] if t["id"] == "AML.T0054")["name"] = "LLM Jailbreaking"
    data["techniques"].append({"id": "AML.T0099", "name": "New Thing", "tactics": ["AML.TA0011"]})
    newer = tmp_path / "atlas.json"
    newer.write_text(json.dumps(data))
    call_command("load_atlas", str(newer))
    assert "ATLAS 9.9.0" in capsys.readouterr().out
    assert atlas.catalogue_version() == "9.9.0"
    assert AtlasTechnique.objects.get(atlas_id="AML.T0054").name == "LLM Jailbreaking"
    assert AtlasTechnique.objects.get(atlas_id="AML.T0099").atlas_version == "9.9.0"
    retiring.refresh_from_db()
    assert not retiring.current and retiring.atlas_version == "4.5.2"
    assert list(incident.atlas_techniques.all()) == [retiring]  # the record keeps its tag
    offered = {t.atlas_id for t in atlas.techniques_for_choice()}
    assert "AML.T0057" not in offered and "AML.T0099" in offered


def test_a_broken_catalogue_file_is_refused(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "atlas.json"
    bad.write_text(json.dumps({"version": "1", "tactics": [{"id": "TA1", "name": "x"}]}))
    with pytest.raises(CommandError, match="tactic IDs"):
        call_command("load_atlas", str(bad))


def test_techniques_are_set_by_id_through_the_api(users, api_client_for):
    incident = file_incident(users["grc"])
    client = api_client_for(users["grc"])
    etag = client.get(detail(incident))["ETag"]
    answer = client.patch(
        detail(incident),
        {"atlas_techniques": ["AML.T0051", "AML.T0054"]},
        format="json",
        headers={"If-Match": etag},
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["atlas_techniques"] == [
        {"id": "AML.T0051", "name": "LLM Prompt Injection"},
        {"id": "AML.T0054", "name": "LLM Jailbreak"},
    ]
    assert answer["ETag"] != etag
    timeline = incident.timeline.order_by("-at", "-id").first()
    assert "atlas_techniques" in timeline.summary
    # Replacing the list removes what is not named; every link row is in the audit history.
    answer = client.patch(detail(incident), {"atlas_techniques": ["AML.T0051"]}, format="json")
    assert [t["id"] for t in answer.json()["atlas_techniques"]] == ["AML.T0051"]
    link_model = Incident.atlas_techniques.through
    assert link_model.history.filter(history_type="-").count() == 1


def test_filing_through_the_api_with_techniques(users, api_client_for):
    answer = api_client_for(users["engineer"]).post(
        "/api/v1/incidents/",
        {
            "title": "Chatbot follows instructions hidden in a web page",
            "description": "Indirect prompt injection through the browsing tool.",
            "atlas_techniques": ["AML.T0051.001"],
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["atlas_techniques"] == [{"id": "AML.T0051.001", "name": "Indirect"}]


@pytest.mark.parametrize("value", ["AML.T9999", "T0051", 51])
def test_an_unknown_technique_id_is_a_clear_400(users, api_client_for, value):
    incident = file_incident(users["grc"])
    answer = api_client_for(users["grc"]).patch(
        detail(incident), {"atlas_techniques": [value]}, format="json"
    )
    assert answer.status_code == 400
    text = json.dumps(answer.json())
    assert "atlas_techniques" in text and "AML.T0051" in text  # says what an ID looks like
    assert not incident.technique_links.exists()


def test_the_edit_form_sets_techniques_grouped_by_tactic(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    url = reverse("incidents:incident-edit", args=[incident.pk])
    page = client.get(url)
    body = page.content.decode()
    assert '<optgroup label="AML.TA0004 Initial Access">' in body
    assert "AML.T0051 LLM Prompt Injection" in body
    form = page.context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data.update(
        {
            "title": incident.title,
            "description": incident.description,
            "kind": "incident",
            "detected_at": form["detected_at"].value().strftime("%Y-%m-%dT%H:%M")
            if hasattr(form["detected_at"].value(), "strftime")
            else form["detected_at"].value(),
            "financial_impact_currency": "USD",
            "atlas_techniques": ["AML.T0051", "AML.T0043.003"],
            "version": form["version"].value(),
        }
    )
    data = {k: v for k, v in data.items() if v not in ([], "")}
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    assert sorted(incident.atlas_techniques.values_list("atlas_id", flat=True)) == [
        "AML.T0043.003",
        "AML.T0051",
    ]
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "AML.T0051" in page and "LLM Prompt Injection" in page and "Manual Modification" in page


def test_an_unknown_technique_in_the_form_is_shown_not_500(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    url = reverse("incidents:incident-edit", args=[incident.pk])
    form = client.get(url).context["form"]
    answer = client.post(
        url,
        {
            "title": incident.title,
            "description": incident.description,
            "kind": "incident",
            "detected_at": "2026-01-01T10:00",
            "financial_impact_currency": "USD",
            "atlas_techniques": ["AML.T9999"],
            "version": form["version"].value(),
        },
    )
    assert answer.status_code == 200
    assert "Select a valid choice" in answer.content.decode()


def test_the_register_filters_by_technique_including_sub_techniques(users, api_client_for):
    grc = users["grc"]
    direct = file_incident(grc, title="Direct injection")
    other = file_incident(grc, title="Model theft")
    services.incident_update(
        actor=grc,
        incident=direct,
        data={"atlas_techniques": [AtlasTechnique.objects.get(atlas_id="AML.T0051.000")]},
    )
    services.incident_update(
        actor=grc,
        incident=other,
        data={"atlas_techniques": [AtlasTechnique.objects.get(atlas_id="AML.T0024.002")]},
    )
    client = api_client_for(grc)
    rows = client.get("/api/v1/incidents/", {"atlas_technique": "AML.T0051"}).json()["results"]
    assert [r["reference"] for r in rows] == [direct.reference]
    rows = client.get("/api/v1/incidents/", {"atlas_technique": "AML.T0024.002"}).json()["results"]
    assert [r["reference"] for r in rows] == [other.reference]
    assert client.get("/api/v1/incidents/", {"atlas_technique": "AML.X"}).status_code == 400


def test_the_register_page_offers_the_technique_filter(client, users):
    grc = users["grc"]
    tagged = file_incident(grc, title="Jailbroken assistant")
    file_incident(grc, title="Untagged drift")
    services.incident_update(
        actor=grc,
        incident=tagged,
        data={"atlas_techniques": [AtlasTechnique.objects.get(atlas_id="AML.T0054")]},
    )
    client.force_login(grc)
    body = client.get(reverse("incidents:register"), {"atlas_technique": "AML.T0054"}).content
    body = body.decode()
    assert "ATLAS technique" in body
    assert "Jailbroken assistant" in body and "Untagged drift" not in body


@pytest.mark.parametrize("role", ["auditor", "engineer", "executive", "grc"])
def test_everyone_signed_in_reads_the_catalogue(users, api_client_for, role):
    answer = api_client_for(users[role]).get(CATALOGUE_API)
    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == "4.5.2"
    assert body["source"].startswith("https://github.com/mitre-atlas/atlas-data/")
    assert [t["id"] for t in body["tactics"]][:3] == ["AML.TA0002", "AML.TA0003", "AML.TA0004"]
    injection = next(t for t in body["techniques"] if t["id"] == "AML.T0051")
    assert injection["name"] == "LLM Prompt Injection" and injection["parent"] is None
    direct = next(t for t in body["techniques"] if t["id"] == "AML.T0051.000")
    assert direct["parent"] == "AML.T0051"


def test_the_catalogue_is_refused_to_anonymous_callers(api_client_for):
    assert api_client_for(None).get(CATALOGUE_API).status_code in (401, 403)
