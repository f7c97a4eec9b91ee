"""Exercises (tabletop exercises and simulations) as incidents of kind ``exercise``: the full
workflow to closure, marked on every page, in clocks and their e-mails and in exports, shown in
the register and filterable, and kept out of the register's figures and of recurrences."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from incidents import selectors
from incidents.choices import Kind, Status

from .factories import file_incident, incident_at

pytestmark = pytest.mark.django_db

SCENARIO = "Tabletop: a jailbreak makes the assistant promise refunds; comms and legal play."


def exercise(actor, **data):
    return file_incident(actor, kind=Kind.EXERCISE, scenario_note=SCENARIO, **data)


def test_an_exercise_runs_the_full_workflow_to_closure(users, make_system):
    grc = users["grc"]
    done = incident_at(
        Status.CLOSED,
        grc,
        make_system(),
        kind=Kind.EXERCISE,
        scenario_note=SCENARIO,
        title="Exercise: refund jailbreak",
    )
    assert done.status == Status.CLOSED and done.closed_at is not None
    assert done.is_exercise and done.scenario_note == SCENARIO
    # No real regulatory notification is proposed for an exercise: every external regime says no.
    from disclosure.models import DisclosureAssessment

    assessment = DisclosureAssessment.objects.get(incident=done)
    external = assessment.obligations.exclude(code__startswith="internal_")
    assert external.exists()
    assert set(external.values_list("proposed", flat=True)) == {"no"}
    assert all("exercise" in row.proposed_reason for row in external)


def test_the_incident_page_marks_an_exercise_and_shows_its_scenario(client, users):
    drill = exercise(users["grc"], title="Refund jailbreak drill")
    real = file_incident(users["grc"], title="Real refund bug")
    client.force_login(users["grc"])
    page = client.get(drill.get_absolute_url()).content.decode()
    assert 'data-testid="exercise-banner"' in page and 'data-testid="exercise-chip"' in page
    assert "EXERCISE" in page and SCENARIO.split(":")[0] in page
    page = client.get(real.get_absolute_url()).content.decode()
    assert "exercise-banner" not in page and "exercise-chip" not in page


def test_the_register_shows_exercises_marked_and_filters_them(client, users):
    grc = users["grc"]
    exercise(grc, title="Refund jailbreak drill")
    file_incident(grc, title="Real refund bug")
    client.force_login(grc)
    register = reverse("incidents:register")
    body = client.get(register).content.decode()
    assert "Refund jailbreak drill" in body and "Real refund bug" in body
    assert body.count('data-testid="exercise-chip"') == 2  # its title and its kind cell
    body = client.get(register, {"kind": "real"}).content.decode()
    assert "Refund jailbreak drill" not in body and "Real refund bug" in body
    body = client.get(register, {"kind": "exercise"}).content.decode()
    assert "Refund jailbreak drill" in body and "Real refund bug" not in body


def test_my_work_marks_an_exercise(client, users):
    drill = exercise(users["engineer"], title="Refund jailbreak drill")
    client.force_login(users["engineer"])
    home = client.get("/").content.decode()
    assert drill.reference in home and 'data-testid="exercise-chip"' in home


def test_the_register_headline_counts_exercises_apart(users):
    grc = users["grc"]
    before = selectors.register_headline(grc)
    exercise(grc, severity=1, severity_reason="Played as P1")
    after = selectors.register_headline(grc)
    for figure in ("open", "open_p0_p1", "untriaged", "near_misses_90d"):
        assert after[figure] == before[figure], figure
    assert after["exercises_open"] == before["exercises_open"] + 1


def test_exercise_clocks_and_their_emails_are_marked(users, make_system):
    from django.core.management import call_command

    from aims.clocks.services import clocks_of

    drill = exercise(users["grc"], systems=[make_system()], severity=1, severity_reason="Played")
    labels = [clock.label for clock in clocks_of(drill)]
    assert labels and all(label.startswith("[EXERCISE] ") for label in labels)
    call_command("run_clocks", "--now", (timezone.now() + timedelta(days=30)).isoformat())
    subjects = [message.subject for message in mail.outbox]
    assert subjects and all("[EXERCISE]" in subject for subject in subjects)


def test_an_exercise_is_no_similar_incident(users, make_system):
    grc = users["grc"]
    system = make_system()
    exercise(grc, systems=[system], title="Refund jailbreak drill")
    real = file_incident(grc, systems=[system], title="Refund jailbreak")
    found = selectors.similar_incidents(grc, text="refund jailbreak", system_ids=[system.pk])
    assert found == [real]


def test_an_exercise_is_never_a_recurrence(users, make_system):
    from capa.selectors import recurrence_candidates

    from .factories import confirm_root_cause, ready_incident

    grc = users["grc"]
    system = make_system()
    drill = ready_incident(grc, system, kind=Kind.EXERCISE)
    real = ready_incident(grc, system)
    drill_cause = confirm_root_cause(drill, grc)
    real_cause = confirm_root_cause(real, grc)
    assert recurrence_candidates(real_cause, window_days=90) == []
    assert recurrence_candidates(drill_cause, window_days=90) == []
    other = ready_incident(grc, system)
    assert recurrence_candidates(confirm_root_cause(other, grc), window_days=90) == [real_cause]


def test_the_register_export_marks_exercises(users):
    from reporting.builders.register import row_values
    from reporting.selectors import register_rows

    grc = users["grc"]
    exercise(grc, title="Refund jailbreak drill")
    file_incident(grc, title="Real refund bug")
    rows = {row["title"]: row_values(row) for row in register_rows(grc, {})}
    assert rows["Refund jailbreak drill"][1] == "[EXERCISE] Refund jailbreak drill"
    assert rows["Refund jailbreak drill"][2] == "EXERCISE"
    assert rows["Real refund bug"][1:3] == ["Real refund bug", "Incident"]


def test_an_exercises_communications_carry_the_mark_in_their_subject(users):
    from disclosure import services as disclosure

    drill = exercise(users["grc"])
    real = file_incident(users["grc"])
    data = {
        "audience": "affected_individuals",
        "channel": "e-mail",
        "subject": "About your refund",
        "content": "Played message.",
    }
    draft = disclosure.communication_draft(actor=users["grc"], incident=drill, data=data)
    assert draft.subject == "[EXERCISE] About your refund"
    edited = disclosure.communication_edit(
        actor=users["grc"], communication=draft, data={"subject": "Your refund"}
    )
    assert edited.subject == "[EXERCISE] Your refund"
    plain = disclosure.communication_draft(actor=users["grc"], incident=real, data=data)
    assert plain.subject == "About your refund"
