"""What a person sees of clocks and notifications: My work, the inbox, the notifications API,
and the register's overdue marker."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aims.clocks.models import BusinessCalendar
from aims.clocks.services import clocks_tick
from aims.notify.models import Notification
from aims.notify.services import deliver_due
from incidents import services

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def p1_incident(users, make_system):
    with time_machine.travel(T0, tick=False):
        incident = services.incident_create(
            actor=users["grc"],
            systems=[make_system(business_owner=users["engineer"])],
            severity=1,
            severity_reason="customers affected",
            data={
                "title": "Loan model rejects applicants",
                "description": "spike",
                "detection_source": "monitoring",
            },
        )
        services.incident_assign_lead(
            actor=users["grc"], incident=incident, lead=users["risk_officer"]
        )
    return incident


def test_my_work_lists_the_clocks_i_own_soonest_first(users, p1_incident, api_client_for):
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        rows = api_client_for(users["risk_officer"]).get("/api/v1/me/work/").json()["results"]
        mine = [(r["kind"], r["overdue"]) for r in rows]
        # The lead owns triage; the risk-officer role owns the leadership notice (no personal owner).
        assert mine == [("triage", False), ("leadership", False)]
        owner_rows = api_client_for(users["engineer"]).get("/api/v1/me/work/").json()["results"]
        # The system owner: the notification chain, and the review of the system's impact
        # assessment that a P1 incident calls for (due in 30 days).
        assert [(r["kind"], r["overdue"], r["status_text"]) for r in owner_rows] == [
            ("notify", True, "overdue by 30 min"),
            ("impact_review_due", False, "29 d 22 h left"),
        ]
        assert api_client_for(users["auditor"]).get("/api/v1/me/work/").json()["results"] == []


def test_my_work_page_highlights_overdue(client, users, p1_incident):
    client.force_login(users["engineer"])
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        page = client.get("/my-work/").content.decode()
        home = client.get("/").content.decode()
    assert "row-overdue" in page and "overdue by 30 min" in page
    assert "Notification chain" in home


def test_incident_clocks_api_and_visibility(users, make_user, p1_incident, api_client_for):
    response = api_client_for(users["auditor"]).get(f"/api/v1/incidents/{p1_incident.pk}/clocks/")
    assert response.status_code == 200
    assert {c["kind"] for c in response.json()} == {"triage", "notify", "leadership"}
    stranger = make_user("engineer")
    assert (
        api_client_for(stranger).get(f"/api/v1/incidents/{p1_incident.pk}/clocks/").status_code
        == 404
    )


def test_inbox_unread_count_and_mark_read(client, users, p1_incident):
    clocks_tick(now=T0 + timedelta(minutes=61))
    deliver_due(now=T0 + timedelta(minutes=61))
    client.force_login(users["risk_officer"])
    page = client.get("/inbox/").content.decode()
    assert "Escalation: Notification chain" in page
    assert 'class="badge"' in client.get("/").content.decode()
    item = Notification.objects.filter(recipient=users["risk_officer"]).first()
    client.post("/inbox/read/", {"id": item.pk})
    item.refresh_from_db()
    assert item.read_at is not None
    client.post("/inbox/read/")
    assert not Notification.objects.filter(
        recipient=users["risk_officer"], read_at__isnull=True
    ).exists()
    assert 'class="badge"' not in client.get("/").content.decode()


def test_inbox_api_is_personal(users, p1_incident, api_client_for):
    clocks_tick(now=T0 + timedelta(minutes=61))
    deliver_due(now=T0 + timedelta(minutes=61))
    assert api_client_for(users["risk_officer"]).get("/api/v1/inbox/").json()["count"] >= 1
    assert api_client_for(users["auditor"]).get("/api/v1/inbox/").json()["count"] == 0
    marked = (
        api_client_for(users["risk_officer"]).post("/api/v1/inbox/read/", {}, format="json").json()
    )
    assert marked["marked"] >= 1


def test_notifications_api_by_incident_shows_attempts_and_respects_visibility(
    users, make_user, p1_incident, api_client_for
):
    clocks_tick(now=T0 + timedelta(minutes=61))
    deliver_due(now=T0 + timedelta(minutes=61))
    rows = (
        api_client_for(users["auditor"])
        .get(f"/api/v1/notifications/?target_type=incidents.incident&target_id={p1_incident.pk}")
        .json()
    )
    results = rows["results"]
    assert results and all(r["attempts"] for r in results)
    assert {a["status"] for r in results for a in r["attempts"]} <= {"sent", "skipped"}
    stranger = make_user("engineer")
    assert (
        api_client_for(stranger)
        .get(f"/api/v1/notifications/?target_type=incidents.incident&target_id={p1_incident.pk}")
        .status_code
        == 404
    )
    assert (
        api_client_for(users["auditor"])
        .get("/api/v1/notifications/?target_type=incidents.incident&target_id=x")
        .status_code
        == 400
    )


def test_register_marks_and_filters_overdue_incidents(
    users, make_system, p1_incident, api_client_for, client
):
    with time_machine.travel(T0, tick=False):
        calm = services.incident_create(
            actor=users["grc"],
            systems=[make_system()],
            severity=3,
            severity_reason="x",
            data={
                "title": "Typo in summaries",
                "description": "d",
                "detection_source": "user_report",
            },
        )
    with time_machine.travel(T0 + timedelta(minutes=90), tick=False):
        client.force_login(users["grc"])
        overdue = client.get("/incidents/?overdue=true").content.decode()
        on_time = client.get("/incidents/?overdue=false").content.decode()
        api = api_client_for(users["grc"]).get("/api/v1/incidents/?overdue=true").json()
    assert p1_incident.reference in overdue and calm.reference not in overdue
    assert "chip-overdue" in overdue
    assert calm.reference in on_time and p1_incident.reference not in on_time
    assert [i["reference"] for i in api["results"]] == [p1_incident.reference]
