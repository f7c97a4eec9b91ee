"""The two links between the investigation and the CAPA records: a CAPA answers a confirmed
root cause (linked by default, refused when it is not confirmed or not of the CAPA's
incidents), and a recurrence puts the earlier incident's CAPAs in doubt (flagged on the pages,
the API, the register filter and the earlier incident's timeline)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aims.core.exceptions import ValidationFailed
from capa import selectors, services
from capa.choices import ActionStatus, RootCauseCategory
from capa.filters import CapaFilter
from capa.models import CorrectiveAction
from incidents.tests.factories import add_evidence, confirm_root_cause, file_incident

from .factories import capa_data

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def owner(users):
    return users["engineer"]


@pytest.fixture
def system(make_system):
    return make_system(name="Loan scoring")


def _incident(grc, system, days_ago=1, **extra):
    incident = file_incident(
        grc, systems=[system], detected_at=timezone.now() - timedelta(days=days_ago), **extra
    )
    add_evidence(incident, grc)
    return incident


def _raise(grc, owner, incidents, **extra):
    return services.capa_create(actor=grc, data=capa_data(owner, **extra), incidents=incidents)


# --- a CAPA answers a root cause -----------------------------------------------------------


def test_the_incidents_confirmed_root_cause_is_linked_and_the_category_follows(grc, owner, system):
    incident = _incident(grc, system)
    cause = confirm_root_cause(incident, grc, category="distribution_shift")
    capa = services.capa_create(
        actor=grc,
        data={"owner": owner},
        incidents=[incident],
        suggestion="input_distribution_monitoring",
    )
    assert capa.root_cause == cause
    assert capa.root_cause_category == RootCauseCategory.DISTRIBUTION_SHIFT
    assert capa.title == "Monitor the input distribution"  # the category's playbook fix
    assert list(cause.capas.all()) == [capa]
    assert capa.history.latest().root_cause_id == cause.pk  # audited like the rest


def test_without_a_confirmed_root_cause_nothing_is_linked(grc, owner, system):
    incident = _incident(grc, system)
    services.root_cause_propose(
        actor=grc, incident=incident, category="integration_bug", statement="Maybe the parser."
    )
    capa = _raise(grc, owner, [incident], root_cause_category="integration_bug")
    assert capa.root_cause is None and capa.root_cause_category == "integration_bug"


def test_a_root_cause_given_must_be_confirmed_and_of_the_capas_incidents(grc, owner, system):
    incident = _incident(grc, system)
    candidate = services.root_cause_propose(
        actor=grc, incident=incident, category="oversight_failure", statement="Rubber-stamping."
    )
    with pytest.raises(ValidationFailed) as refused:
        _raise(grc, owner, [incident], root_cause=candidate)
    assert refused.value.fields == {"root_cause": ["not confirmed"]}
    other = _incident(grc, system, days_ago=200)
    elsewhere = confirm_root_cause(other, grc)
    with pytest.raises(ValidationFailed) as refused:
        _raise(grc, owner, [incident], root_cause=elsewhere)
    assert refused.value.fields == {"root_cause": ["not a root cause of the CAPA's incidents"]}
    with pytest.raises(ValidationFailed) as refused:
        _raise(grc, owner, [incident, other], root_cause=elsewhere, root_cause_category="other")
    assert "root_cause_category" in refused.value.fields
    assert not CorrectiveAction.objects.exists()
    # Positive control: the confirmed cause of one of its incidents is linked.
    capa = _raise(grc, owner, [incident, other], root_cause=elsewhere)
    assert capa.root_cause == elsewhere and capa.root_cause_category == elsewhere.category


def test_the_linked_category_cannot_be_edited_away(grc, owner, system):
    incident = _incident(grc, system)
    confirm_root_cause(incident, grc, category="integration_bug")
    capa = _raise(grc, owner, [incident])
    with pytest.raises(ValidationFailed):
        services.capa_update(actor=grc, capa=capa, data={"root_cause_category": "other"})
    edited = services.capa_update(actor=grc, capa=capa, data={"title": "Parser tests"})
    assert edited.root_cause_category == "integration_bug"


def test_the_api_links_by_default_and_refuses_with_400(grc, users, system, api_client_for):
    incident = _incident(grc, system)
    cause = confirm_root_cause(incident, grc, category="integration_bug")
    client = api_client_for(users["risk_officer"])
    body = {"owner": users["engineer"].pk, "incidents": [incident.pk]}
    created = client.post(
        f"{V1}/capas/", {**body, "suggestion": "integration_tests"}, format="json"
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["root_cause"] == {
        "id": cause.pk,
        "incident": incident.pk,
        "category": "integration_bug",
        "statement": cause.statement,
    }
    assert data["root_cause_category"] == "integration_bug"
    assert data["possibly_ineffective"] is False
    candidate = services.root_cause_propose(
        actor=grc, incident=incident, category="other", statement="Something else."
    )
    refused = client.post(
        f"{V1}/capas/", {**body, "title": "T", "root_cause": candidate.pk}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"root_cause": ["not confirmed"]}
    assert "confirmed root cause" in refused.json()["message"]
    unknown = client.post(f"{V1}/capas/", {**body, "root_cause": 2**40}, format="json")
    assert unknown.status_code == 400
    causes = client.get(f"{V1}/incidents/{incident.pk}/root-causes/").json()
    confirmed = next(c for c in causes if c["id"] == cause.pk)
    assert [c["reference"] for c in confirmed["capas"]] == [data["reference"]]


def test_the_pages_show_the_link_both_ways(client, users, grc, owner, system):
    incident = _incident(grc, system)
    cause = confirm_root_cause(incident, grc, category="integration_bug")
    client.force_login(grc)
    form = client.get(f"/capa/new/?incident={incident.pk}").content.decode()
    assert "The CAPA answers the confirmed root cause (Prompt or integration bug)" in form
    assert "Integration tests for the failing case type" in form  # its playbook fixes
    capa = _raise(grc, owner, [incident], title="Parser integration tests")
    page = client.get(f"/capa/{capa.pk}/").content.decode()
    assert f"#root-cause-{cause.pk}" in page and cause.statement in page
    incident_page = client.get(incident.get_absolute_url()).content.decode()
    assert "CAPAs answering it:" in incident_page and capa.reference in incident_page
    assert "answers the root cause: Prompt or integration bug" in incident_page
    section = selectors.capa_case_file_section(incident)
    assert section["rows"][0]["capa"].root_cause == cause


# --- recurrence puts the earlier CAPAs in doubt ---------------------------------------------


@pytest.fixture
def recurred(grc, owner, system):
    """An earlier incident with two CAPAs (one cancelled) and a recurrence 59 days later."""
    earlier = _incident(grc, system, days_ago=60)
    confirm_root_cause(earlier, grc, category="distribution_shift")
    kept = _raise(grc, owner, [earlier], title="Retrain on the new region")
    dropped = _raise(grc, owner, [earlier], title="Dropped idea")
    services.capa_transition(actor=grc, capa=dropped, to="cancelled", reason="Duplicate")
    unrelated = _raise(grc, owner, [_incident(grc, system, days_ago=300)], title="Unrelated")
    later = _incident(grc, system, days_ago=1)
    confirm_root_cause(later, grc, category="distribution_shift")
    return {
        "earlier": earlier,
        "later": later,
        "kept": kept,
        "dropped": dropped,
        "other": unrelated,
    }


def _flagged(user, **params):
    rows = CapaFilter(params, queryset=selectors.register(user)).qs
    return {c.reference: c.possibly_ineffective for c in rows}


def test_a_recurrence_flags_the_earlier_incidents_open_capas(grc, recurred):
    flags = _flagged(grc)
    assert flags[recurred["kept"].reference] is True
    assert flags[recurred["dropped"].reference] is False  # cancelled: not in doubt
    assert flags[recurred["other"].reference] is False
    assert set(_flagged(grc, recurred="true")) == {recurred["kept"].reference}
    clean = set(_flagged(grc, recurred="false"))
    assert recurred["kept"].reference not in clean
    assert {recurred["dropped"].reference, recurred["other"].reference} <= clean
    note = recurred["earlier"].timeline.get(summary__startswith="CAPAs possibly ineffective")
    assert recurred["kept"].reference in note.summary
    assert recurred["dropped"].reference not in note.summary
    assert recurred["later"].reference in note.summary
    assert (
        not recurred["later"]
        .timeline.filter(summary__startswith="CAPAs possibly ineffective")
        .exists()
    )


def test_without_a_recurrence_nothing_is_flagged(grc, owner, system):
    earlier = _incident(grc, system, days_ago=60)
    confirm_root_cause(earlier, grc, category="distribution_shift")
    capa = _raise(grc, owner, [earlier])
    later = _incident(grc, system, days_ago=1)
    confirm_root_cause(later, grc, category="oversight_failure")  # another category
    assert _flagged(grc) == {capa.reference: False}
    assert not earlier.timeline.filter(summary__startswith="CAPAs possibly ineffective").exists()
    # Positive control: a third incident with the same category recurs, and the CAPA is flagged.
    third = _incident(grc, system, days_ago=0)
    confirm_root_cause(third, grc, category="distribution_shift")
    assert _flagged(grc) == {capa.reference: True}


def test_the_pages_and_the_api_show_the_doubt(client, users, grc, recurred, api_client_for, system):
    kept, earlier, later = recurred["kept"], recurred["earlier"], recurred["later"]
    client.force_login(users["auditor"])
    page = client.get(f"/capa/{kept.pk}/").content.decode()
    assert (
        f"{earlier.reference} recurred on {system} with the same root-cause category "
        "(Data distribution shift, 59 days later)"
    ) in page
    assert "Possibly ineffective:" in page
    quiet = client.get(f"/capa/{recurred['dropped'].pk}/").content.decode()
    assert "Possibly ineffective:" not in quiet
    earlier_page = client.get(earlier.get_absolute_url()).content.decode()
    assert "possibly ineffective" in earlier_page
    later_page = client.get(later.get_absolute_url()).content.decode()
    assert "Earlier CAPAs possibly ineffective" in later_page and kept.reference in later_page
    assert recurred["dropped"].reference not in later_page
    register = client.get("/capa/?recurred=true").content.decode()
    assert kept.reference in register and recurred["other"].reference not in register
    assert '<option value="true" selected>Possibly ineffective (incident recurred)' in register
    assert "possibly ineffective</span>" in register
    api = api_client_for(users["auditor"])
    assert api.get(f"{V1}/capas/{kept.pk}/").json()["possibly_ineffective"] is True
    listed = api.get(f"{V1}/capas/?recurred=true").json()["results"]
    assert [row["reference"] for row in listed] == [kept.reference]
    section = selectors.capa_case_file_section(earlier)
    assert {r["capa"].reference: r["capa"].possibly_ineffective for r in section["rows"]} == {
        kept.reference: True,
        recurred["dropped"].reference: False,
    }


def test_cancelling_a_flagged_capa_clears_the_flag(grc, recurred):
    services.capa_transition(
        actor=grc, capa=recurred["kept"], to=ActionStatus.CANCELLED, reason="Superseded"
    )
    assert _flagged(grc, recurred="true") == {}
