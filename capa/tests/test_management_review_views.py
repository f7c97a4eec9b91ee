"""The management-review pages: the list, a review with its compiled inputs, the forms, and
the incident page's note saying which review covered a P0/P1 incident (or that none has)."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from capa import services
from capa.choices import ActionSource, ManagementReviewStatus
from capa.models import ManagementReview
from incidents.choices import Severity
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

MEETING = datetime(2026, 4, 15, 10, 0, tzinfo=UTC)
PERIOD = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


@pytest.fixture
def p1(users):
    moment = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        return file_incident(
            users["grc"], severity=Severity.P1, severity_reason="Many", detected_at=moment
        )


def recorded(users):
    review = services.management_review_create(
        actor=users["grc"],
        data={
            "meeting_date": date(2026, 4, 15),
            **PERIOD,
            "attendees": [users["executive"]],
            "minutes": "Went through March.",
        },
    )
    with time_machine.travel(MEETING, tick=False):
        return services.management_review_transition(
            actor=users["grc"], review=review, to=ManagementReviewStatus.RECORDED
        )


def page(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_incident_page_flags_a_p1_not_yet_covered_then_names_the_review(client, users, p1):
    url = p1.get_absolute_url()
    assert "Not yet covered by a management review" in page(client, users["grc"], url).text
    review = recorded(users)
    text = page(client, users["executive"], url).text
    assert review.reference in text and "Not yet covered" not in text


def test_incident_page_has_no_review_note_for_a_p3(client, users):
    incident = file_incident(users["grc"], severity=Severity.P3, severity_reason="Minor")
    assert "management review" not in page(client, users["grc"], incident.get_absolute_url()).text


def test_register_filter_lists_uncovered_severe_incidents(client, users, p1):
    url = reverse("incidents:register") + "?review_uncovered=true"
    assert p1.reference in page(client, users["grc"], url).text
    recorded(users)
    assert p1.reference not in page(client, users["grc"], url).text


def test_detail_shows_frozen_inputs_and_actions(client, users, p1):
    review = recorded(users)
    services.management_review_action_add(
        actor=users["grc"],
        review=review,
        data={
            "title": "Fund drift monitoring",
            "description": "Decided.",
            "action_type": "preventive",
            "horizon": "long_term",
            "owner": users["ciso"],
        },
    )
    text = page(client, users["auditor"], review.get_absolute_url()).text
    assert p1.reference in text
    assert "Frozen when the review was recorded" in text
    assert "Fund drift monitoring" in text


def test_grc_prepares_a_review_through_the_form(client, users):
    client.force_login(users["grc"])
    response = client.post(
        reverse("capa:review-create"),
        {"meeting_date": "2026-04-15", "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    review = ManagementReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert review.status == ManagementReviewStatus.DRAFT


def test_the_form_says_what_is_wrong(client, users):
    client.force_login(users["grc"])
    response = client.post(
        reverse("capa:review-create"),
        {"meeting_date": "2026-04-15", "period_start": "2026-03-31", "period_end": "2026-03-01"},
    )
    assert response.status_code == 200 and "ends before it starts" in response.text
    assert not ManagementReview.objects.exists()


def test_an_action_form_raises_a_capa_from_the_review(client, users):
    review = recorded(users)
    client.force_login(users["risk_officer"])
    client.post(
        reverse("capa:review-action-add", args=[review.pk]),
        {
            "title": "Rehearse the communication plan",
            "description": "Yearly.",
            "action_type": "preventive",
            "horizon": "long_term",
            "owner": users["ciso"].pk,
        },
    )
    capa = review.actions.get().capa
    assert capa.source == ActionSource.MANAGEMENT_REVIEW


@pytest.mark.parametrize("role", ["engineer", "ethics"])
def test_roles_outside_management_are_refused_the_pages(client, users, role):
    review = recorded(users)
    assert page(client, users[role], reverse("capa:reviews")).status_code == 403
    assert page(client, users[role], review.get_absolute_url()).status_code == 403


@pytest.mark.parametrize("role", ["executive", "auditor", "ciso"])
def test_readers_cannot_record(client, users, role):
    review = recorded(users)
    client.force_login(users[role])
    response = client.post(reverse("capa:review-transition", args=[review.pk]), {"to": "approved"})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == ManagementReviewStatus.RECORDED
