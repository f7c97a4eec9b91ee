"""The management-review API: a review prepared, read with its compiled inputs, edited with
If-Match, recorded and approved by its moves, its actions raised as CAPAs; refused both ways."""

from datetime import date

import pytest

from capa.choices import ActionSource
from incidents.choices import Severity
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

URL = "/api/v1/management-reviews/"


def body():
    from django.utils import timezone

    today = timezone.localdate()
    return {
        "meeting_date": today.isoformat(),
        "period_start": today.replace(day=1).isoformat(),
        "period_end": today.isoformat(),
        "other_attendees": "Board chair",
        "minutes": "Went through the period.",
    }


def test_a_review_through_the_api(users, api_client_for):
    grc = api_client_for(users["grc"])
    severe = file_incident(users["grc"], severity=Severity.P0, severity_reason="Outage")
    created = grc.post(URL, {**body(), "attendees": [users["executive"].pk]}, format="json")
    assert created.status_code == 201, created.json()
    review = created.json()
    assert review["reference"].startswith("MR-") and review["status"] == "draft"
    assert review["attendees"] == ["executive"]
    assert [row["reference"] for row in review["inputs"]["significant"]] == [severe.reference]

    url = f"{URL}{review['id']}/"
    stale = grc.patch(url, {"decisions": "Fund it."}, format="json", HTTP_IF_MATCH='"stale"')
    assert stale.status_code == 412
    etag = grc.get(url)["ETag"]
    edited = grc.patch(url, {"decisions": "Fund it."}, format="json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 200 and edited.json()["decisions"] == "Fund it."

    recorded = grc.post(f"{url}transition/", {"to": "recorded"}, format="json")
    assert recorded.status_code == 200, recorded.json()
    assert recorded.json()["covered_incidents"] == [severe.reference]

    action = {
        "title": "Fund drift monitoring",
        "description": "Decided.",
        "action_type": "preventive",
        "horizon": "long_term",
        "owner": users["ciso"].pk,
    }
    raised = grc.post(f"{url}actions/", action, format="json")
    assert raised.status_code == 201, raised.json()
    assert raised.json()["source"] == ActionSource.MANAGEMENT_REVIEW
    assert grc.get(url).json()["actions"][0]["reference"] == raised.json()["reference"]

    approved = grc.post(f"{url}transition/", {"to": "approved"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_a_bad_move_is_a_conflict(users, api_client_for):
    grc = api_client_for(users["grc"])
    review = grc.post(URL, body(), format="json").json()
    response = grc.post(f"{URL}{review['id']}/transition/", {"to": "approved"}, format="json")
    assert response.status_code == 409 and response.json()["code"]


@pytest.mark.parametrize("role", ["executive", "auditor", "ciso"])
def test_readers_read_but_do_not_write(users, api_client_for, role):
    grc = api_client_for(users["grc"])
    review = grc.post(URL, body(), format="json").json()
    reader = api_client_for(users[role])
    assert reader.get(f"{URL}{review['id']}/").status_code == 200
    refused = reader.post(URL, body(), format="json")
    assert refused.status_code == 403
    assert "prepare and record management reviews" in refused.json()["message"]
    moved = reader.post(f"{URL}{review['id']}/transition/", {"to": "recorded"}, format="json")
    assert moved.status_code == 403


@pytest.mark.parametrize("role", ["engineer", "ethics"])
def test_other_roles_are_refused_reading(users, api_client_for, role):
    response = api_client_for(users[role]).get(URL)
    assert response.status_code == 403
    assert "read management reviews" in response.json()["message"]


def test_the_period_is_checked(users, api_client_for):
    grc = api_client_for(users["grc"])
    response = grc.post(
        URL,
        {**body(), "period_start": date(2026, 3, 31).isoformat(), "period_end": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400 and "ends before it starts" in response.json()["message"]
