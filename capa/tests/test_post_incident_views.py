"""The post-incident review pages: the list with its filters, the review page (form for the
incident's managers only, approval for the AI risk officer only), the incident page's section
and the case-file section read back from the PDF."""

from datetime import timedelta

import pytest
from django.utils import timezone

from aims.core.concurrency import version_of

from .pir_factories import LESSONS, closed_incident, review_for, submitted_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def grc(users):
    return users["grc"]


def test_list_filters_status_and_overdue(client, users, grc, make_system):
    late = review_for(closed_incident(grc, make_system(), at=timezone.now() - timedelta(days=30)))
    fresh = submitted_review(grc, make_system())
    client.force_login(users["auditor"])
    page = client.get("/capa/post-incident-reviews/").content.decode()
    assert late.reference in page and fresh.reference in page and "overdue" in page
    page = client.get("/capa/post-incident-reviews/?overdue=yes").content.decode()
    assert late.reference in page and fresh.reference not in page
    page = client.get("/capa/post-incident-reviews/?status=submitted").content.decode()
    assert fresh.reference in page and late.reference not in page
    assert (
        client.get("/capa/post-incident-reviews/?status=nonsense&overdue=x&page=zz").status_code
        == 200
    )


def test_the_page_shows_the_facts_and_offers_the_form_to_managers_only(
    client, users, grc, make_system
):
    review = review_for(closed_incident(grc, make_system()))
    client.force_login(users["auditor"])
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert review.reference in page and "Time to detect" in page and "Documentation check" in page
    assert 'name="controls_failed"' not in page
    assert (
        client.post(f"/capa/post-incident-reviews/{review.pk}/", {"caught_sooner": "x"}).status_code
        == 403
    )
    client.force_login(grc)
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert 'name="controls_failed"' in page


def test_saving_the_lessons_and_a_stale_form(client, users, grc, make_system):
    review = review_for(closed_incident(grc, make_system()))
    client.force_login(grc)
    form = {"version": version_of(review), **LESSONS, "root_cause_review": "Trace attached."}
    response = client.post(f"/capa/post-incident-reviews/{review.pk}/", form)
    assert response.status_code == 302
    assert review_for(review.incident).controls_failed == LESSONS["controls_failed"]
    stale = client.post(
        f"/capa/post-incident-reviews/{review.pk}/", {**form, "caught_sooner": "Other."}
    )
    assert stale.status_code == 400
    assert "changed" in stale.content.decode().lower()
    invalid = client.post(
        f"/capa/post-incident-reviews/{review.pk}/", {**form, "process_followed": "maybe"}
    )
    assert invalid.status_code == 400


def test_approval_through_the_page(client, users, grc, make_system):
    review = submitted_review(grc, make_system())
    client.force_login(grc)
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert 'value="approved"' not in page
    refused = client.post(
        f"/capa/post-incident-reviews/{review.pk}/transition/", {"to": "approved", "reason": "Ok."}
    )
    assert refused.status_code == 403
    client.force_login(users["risk_officer"])
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert 'value="approved"' in page and 'value="returned"' in page
    done = client.post(
        f"/capa/post-incident-reviews/{review.pk}/transition/",
        {"to": "approved", "reason": "Accepted."},
    )
    assert done.status_code == 302
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert "Approved" in page and "Accepted." in page
    assert (
        client.post(
            f"/capa/post-incident-reviews/{review.pk}/transition/", {"to": "nope"}
        ).status_code
        == 302
    )


def test_raise_a_capa_from_the_page(client, users, grc, make_system):
    review = review_for(closed_incident(grc, make_system()))
    client.force_login(users["risk_officer"])
    response = client.post(
        f"/capa/post-incident-reviews/{review.pk}/capas/",
        {
            "update_kind": "process",
            "action_type": "preventive",
            "title": "Segment evaluation gate",
            "description": "Block a retrain that worsens a segment.",
            "horizon": "long_term",
            "owner": users["engineer"].pk,
            "due_at": "2027-03-01T12:00",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/capa/post-incident-reviews/{review.pk}/").content.decode()
    assert "Segment evaluation gate" in page and "Process update" in page
    missing = client.post(
        f"/capa/post-incident-reviews/{review.pk}/capas/", {"update_kind": "process"}
    )
    assert missing.status_code == 302  # back to the page with the error shown


def test_the_incident_page_links_the_review(client, users, grc, make_system):
    incident = closed_incident(grc, make_system())
    review = review_for(incident)
    client.force_login(users["auditor"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Post-incident review" in page and review.reference in page


def test_an_unseen_review_is_404(client, users, grc, make_system):
    review = review_for(closed_incident(grc, make_system(business_owner=grc)))
    client.force_login(users["engineer"])
    assert client.get(f"/capa/post-incident-reviews/{review.pk}/").status_code == 404
    assert client.get("/capa/post-incident-reviews/999999/").status_code == 404
