"""The root-cause section of the incident page, its forms, and the register's recurrence filter
(the case-file section is read back in ``reporting/tests/test_case_file_root_cause.py``)."""

import pytest
from django.urls import reverse

from capa.models import RootCause
from incidents import services as incident_services
from incidents.choices import Severity, Status
from incidents.tests.factories import (
    confirm_root_cause,
    file_incident,
    incident_at,
)

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
