"""The root-cause section of the incident page, its forms, and the case-file section read back
from the PDF."""

import subprocess

import pytest
from django.urls import reverse

from capa.models import RootCause
from incidents import services as incident_services
from incidents.choices import Severity, Status
from incidents.tests.factories import (
    confirm_root_cause,
    confirm_scope,
    file_incident,
    incident_at,
)
from reporting.builders.casefile import render_case_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(make_system):
    return make_system(name="Loan scoring")


def _client(client, user):
    client.force_login(user)
    return client


def test_the_incident_page_shows_the_section_and_offers_forms_by_rule(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    page = _client(client, users["grc"]).get(incident.get_absolute_url())
    body = page.content.decode()
    assert 'id="root-cause"' in body
    assert reverse("capa:root-cause-propose", args=[incident.pk]) in body
    assert reverse("capa:scope-record", args=[incident.pk]) in body
    client.force_login(users["auditor"])
    body = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="root-cause"' in body
    assert reverse("capa:root-cause-propose", args=[incident.pk]) not in body


def test_propose_and_confirm_from_the_page(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    c = _client(client, users["grc"])
    answer = c.post(
        reverse("capa:root-cause-propose", args=[incident.pk]),
        {"category": "oversight_failure", "statement": "Reviewers approved without reading."},
    )
    assert answer.status_code == 302
    cause = RootCause.objects.get()
    page = c.post(reverse("capa:root-cause-confirm", args=[cause.pk]), follow=True)
    assert "Confirming needs the five-whys chain" in page.content.decode()
    cause.refresh_from_db()
    assert cause.status == "considered"
    client.force_login(users["auditor"])
    refused = client.post(
        reverse("capa:why-add", args=[cause.pk]), {"question": "Why?", "answer": "Because."}
    )
    assert refused.status_code == 403
    assert "write the root-cause analysis" in refused.content.decode()


def test_restore_before_verification_is_refused_with_the_reason(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    c = _client(client, users["grc"])
    page = c.post(
        reverse("capa:restore", args=[incident.pk]), {"note": "Back to normal."}, follow=True
    )
    assert "only after the fix was verified on the failing input types" in page.content.decode()


def test_what_the_next_step_needs_names_the_root_cause_and_scope(client, users, system):
    grc = users["grc"]
    incident = incident_at(Status.RESOLVED, grc, system)
    incident = incident_services.incident_set_severity(
        actor=grc, incident=incident, severity=Severity.P1, reason="Wider than thought"
    )
    page = _client(client, grc).get(incident.get_absolute_url()).content.decode()
    assert "the scope confirmed for a P0/P1 incident" in page


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(  # noqa: S603 - a fixed local tool
        ["pdftotext", "-layout", "-", "-"],  # noqa: S607
        input=pdf,
        capture_output=True,
        check=True,
    )
    return " ".join(out.stdout.decode().split())


def test_the_case_file_shows_root_cause_whys_evidence_scope_and_plan(users, system):
    grc = users["grc"]
    incident = incident_at(Status.RESOLVED, grc, system)
    cause = incident.root_causes.get()
    evidence = cause.evidence_links.get().evidence
    confirm_scope(incident, grc)
    from capa import services

    services.remediation_item_add(
        actor=grc,
        incident=incident,
        horizon="short_term",
        kind="reprocess",
        description="Re-score the 40 rejected applications.",
        owner=grc,
        due_on=incident.detected_at.date(),
    )
    services.fix_verify(actor=grc, incident=incident, verification="Replayed 40 failing cases.")
    text = pdf_text(render_case_file(incident=incident, actor=users["auditor"]))
    assert "Root cause, scope and remediation" in text
    assert "Confirmed — Prompt or integration bug" in text
    assert "Why were valid applicants rejected?" in text
    assert "Traced one rejected application" in text
    assert evidence.sha256[:16] in text.replace(" ", "")
    assert "40 of 1000 decisions (4.000 %)" in text
    assert "lower 30 · upper 55" in text
    assert "Re-score the 40 rejected applications." in text
    assert "Replayed 40 failing cases." in text
    assert "scope confirmation" in text.lower()  # its history is in the audit trail


def test_an_estimated_scope_is_shown_as_an_estimate_in_the_case_file(users, system):
    incident = file_incident(users["grc"], systems=[system])
    confirm_scope(incident, users["grc"], confirm=False)
    text = pdf_text(render_case_file(incident=incident, actor=users["grc"]))
    assert "Best estimate — not confirmed" in text
    assert "Logs of day 2 are still being exported." in text
    assert "No root cause was confirmed" in text


def test_confirmed_root_cause_helper_is_used_by_the_case_file(users, system):
    incident = file_incident(users["grc"], systems=[system])
    confirm_root_cause(incident, users["grc"])
    text = pdf_text(render_case_file(incident=incident, actor=users["grc"]))
    assert "No root cause was confirmed" not in text


def test_the_register_filters_recurrences_and_both_incidents_show_the_link(client, users, system):
    from datetime import timedelta

    from django.utils import timezone

    grc = users["grc"]
    now = timezone.now()
    earlier = file_incident(grc, systems=[system], detected_at=now - timedelta(days=30))
    later = file_incident(grc, systems=[system], detected_at=now - timedelta(days=2))
    alone = file_incident(grc, systems=[system], title="Unrelated outage")
    confirm_root_cause(earlier, grc, category="distribution_shift")
    confirm_root_cause(later, grc, category="distribution_shift")
    c = _client(client, grc)
    listed = c.get("/incidents/?recurrence=true").content.decode()
    assert earlier.reference in listed and later.reference in listed
    assert alone.reference not in listed
    unlisted = c.get("/incidents/?recurrence=false").content.decode()
    assert alone.reference in unlisted and later.reference not in unlisted
    later_page = c.get(later.get_absolute_url()).content.decode()
    assert f"Recurs {earlier.reference}" in later_page
    earlier_page = c.get(earlier.get_absolute_url()).content.decode()
    assert f"Recurred as {later.reference}" in earlier_page
