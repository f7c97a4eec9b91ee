"""The trail page, the consistency-check page, their API and ``manage.py check_consistency``:
who reads what (engineers their own systems only), the filters, and the command's exit status."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from incidents.tests.factories import deploy, model_version

pytestmark = pytest.mark.django_db

READ_ALL = ("grc", "risk_officer", "auditor", "ciso", "executive", "dpo", "legal")


@pytest.fixture
def systems(make_system, users, make_user):
    """Two production systems, each with an unapproved version deployed without a change
    reference: one owned by ``users["engineer"]``, one by another engineer."""
    mine = make_system(lifecycle_status="production", name="Loan scoring")
    other_owner = make_user("engineer", username="other-engineer")
    theirs = make_system(
        lifecycle_status="production", name="Chat assistant", business_owner=other_owner
    )
    for system in (mine, theirs):
        deploy(system, users["grc"], model_version(system, users["grc"]))
    return mine, theirs


@pytest.mark.parametrize("role", READ_ALL)
def test_the_read_all_roles_read_every_trail(role, users, systems, client):
    mine, theirs = systems
    client.force_login(users[role])
    response = client.get(f"/risks/systems/{theirs.pk}/trail/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Evidence trail of" in body and theirs.reference in body
    assert 'data-gap="version_not_approved"' in body
    assert 'data-gap="deployment_without_change_reference"' in body
    page = client.get("/risks/consistency/").content.decode()
    assert mine.reference in page and theirs.reference in page


def test_an_engineer_reads_the_trails_of_their_own_systems_only(users, systems, client):
    mine, theirs = systems
    client.force_login(users["engineer"])
    assert client.get(f"/risks/systems/{mine.pk}/trail/").status_code == 200
    assert client.get(f"/risks/systems/{theirs.pk}/trail/").status_code == 404
    page = client.get("/risks/consistency/").content.decode()
    assert mine.reference in page and theirs.reference not in page


def test_ethics_is_refused(users, systems, client):
    mine, _theirs = systems
    client.force_login(users["ethics"])
    assert client.get(f"/risks/systems/{mine.pk}/trail/").status_code == 403
    assert client.get("/risks/consistency/").status_code == 403


def test_the_system_page_links_its_trail(users, systems, client):
    mine, theirs = systems
    client.force_login(users["engineer"])
    assert (
        f"/risks/systems/{mine.pk}/trail/" in client.get(mine.get_absolute_url()).content.decode()
    )
    assert (
        f"/risks/systems/{theirs.pk}/trail/"
        not in client.get(theirs.get_absolute_url()).content.decode()
    )


def test_the_evidence_map_links_the_consistency_check(users, client):
    client.force_login(users["auditor"])
    assert "/risks/consistency/" in client.get("/risks/evidence-map/").content.decode()


def test_the_consistency_page_filters_and_counts(users, systems, client):
    mine, theirs = systems
    client.force_login(users["grc"])
    page = client.get(f"/risks/consistency/?kind=version_not_approved&system={mine.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count('data-gap="version_not_approved"') == 1
    assert 'data-gap="deployment_without_change_reference"' not in body
    bad = client.get("/risks/consistency/?kind=nonsense&system=abc")
    assert bad.status_code == 400 and "Choose a gap kind" in bad.content.decode()
    hidden = client.get(f"/risks/consistency/?system={theirs.pk + 1000}")
    assert hidden.status_code == 400


def test_the_api_answers_the_trail_and_the_check(users, systems, api_client_for):
    mine, theirs = systems
    api = api_client_for(users["auditor"])
    trail = api.get(f"/api/v1/systems/{mine.pk}/trail/").json()
    assert trail["reference"] == mine.reference
    assert [s["key"] for s in trail["steps"]][:4] == [
        "requirement",
        "evaluation",
        "approval",
        "deployment",
    ]
    approval = next(s for s in trail["steps"] if s["key"] == "approval")
    assert [g["code"] for g in approval["gaps"]] == ["version_not_approved"]
    check = api.get("/api/v1/consistency/", {"kind": "version_not_approved"}).json()
    assert check["systems_checked"] == 2
    assert {g["system_reference"] for g in check["gaps"]} == {mine.reference, theirs.reference}
    counts = {k["code"]: k["count"] for k in check["kinds"]}
    assert (
        counts["version_not_approved"] == 2 and counts["deployment_without_change_reference"] == 0
    )
    bad = api.get("/api/v1/consistency/", {"kind": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"


def test_the_api_limits_an_engineer_to_their_systems(users, systems, api_client_for):
    mine, theirs = systems
    api = api_client_for(users["engineer"])
    assert api.get(f"/api/v1/systems/{theirs.pk}/trail/").status_code == 404
    assert api.get(f"/api/v1/systems/{mine.pk}/trail/").status_code == 200
    check = api.get("/api/v1/consistency/").json()
    assert {g["system_reference"] for g in check["gaps"]} == {mine.reference}
    assert api_client_for(users["ethics"]).get("/api/v1/consistency/").status_code == 403


def test_the_command_prints_the_gaps_and_fails(systems):
    mine, theirs = systems
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("check_consistency", stdout=out)
    assert exit_.value.code == 1
    text = out.getvalue()
    assert f"{mine.reference}\tversion_not_approved" in text
    assert f"{theirs.reference}\tdeployment_without_change_reference" in text
    assert "gap(s) in 2 system(s) checked" in text


def test_the_command_answers_json_and_filters(systems):
    mine, _theirs = systems
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "check_consistency",
            "--json",
            "--kind",
            "version_not_approved",
            "--system",
            mine.reference,
            stdout=out,
        )
    payload = json.loads(out.getvalue())
    assert payload["systems_checked"] == 1
    assert [(g["code"], g["system_reference"]) for g in payload["gaps"]] == [
        ("version_not_approved", mine.reference)
    ]


def test_the_command_exits_zero_without_gaps(make_system, users):
    make_system(lifecycle_status="design")
    out = StringIO()
    call_command("check_consistency", stdout=out)  # no SystemExit: status 0
    assert "No gaps in 1 system(s)." in out.getvalue()


def test_the_command_as_an_engineer_checks_their_systems(users, systems):
    mine, theirs = systems
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("check_consistency", "--as", "engineer", stdout=out)
    assert mine.reference in out.getvalue() and theirs.reference not in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="may not read"):
        call_command("check_consistency", "--as", "ethics")
    with pytest.raises(CommandError, match="Unknown gap kind"):
        call_command("check_consistency", "--kind", "nonsense")
