"""The incident's closure checklist shows whether the risk register was reviewed for it: a
recorded decision — risks changed (at least one linked) or no change with the reason. Closing is
refused without it, on the service, the page and the API; the case file shows it."""

import pytest

from aims.core.exceptions import Conflict, GuardFailed, PermissionRefused, ValidationFailed
from incidents import services as incident_services
from incidents.choices import Status
from incidents.models import TimelineEntry
from incidents.tests.factories import (
    PATH,
    confirm_root_cause,
    decide_no_capa,
    ready_incident,
    sign_off_disclosure,
)
from risk import incident_links, selectors, services
from risk.models import IncidentRiskReview
from risk.tests.factories import raise_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def system(users, make_system):
    return make_system(name="Support assistant")


@pytest.fixture
def resolved(users, system):
    """A resolved incident that meets every closure check but the risk-register review."""
    grc = users["grc"]
    incident = ready_incident(grc, system)
    sign_off_disclosure(incident, grc)
    confirm_root_cause(incident, grc)
    decide_no_capa(incident, grc)
    for step in PATH[Status.RESOLVED]:
        incident = incident_services.incident_transition(
            actor=grc, incident=incident, to=step, reason="Test step with a reason."
        )
    return incident


def _close(incident, actor):
    return incident_services.incident_transition(
        actor=actor, incident=incident, to=Status.CLOSED, reason=""
    )


def test_closing_is_refused_without_the_review_and_allowed_with_no_change(users, resolved):
    grc = users["grc"]
    with pytest.raises(GuardFailed, match="a recorded review of the risk register"):
        _close(resolved, grc)
    with pytest.raises(ValidationFailed, match="Say why the register needs no change"):
        services.incident_risk_review_record(
            actor=grc, incident=resolved, outcome="no_change", reason="  "
        )
    review = services.incident_risk_review_record(
        actor=grc, incident=resolved, outcome="no_change", reason="Covered by RISK-0001 as rated."
    )
    assert review.decided_by == grc
    assert TimelineEntry.objects.filter(
        incident=resolved, summary__startswith="Risk register reviewed: No change"
    ).exists()
    assert _close(resolved, grc).status == Status.CLOSED
    with pytest.raises(Conflict, match="already recorded"):
        services.incident_risk_review_record(
            actor=grc, incident=resolved, outcome="no_change", reason="again"
        )


def test_changed_needs_a_linked_risk(users, resolved):
    grc = users["grc"]
    with pytest.raises(ValidationFailed, match="No risk is linked to this incident yet"):
        services.incident_risk_review_record(actor=grc, incident=resolved, outcome="changed")
    risk = raise_risk(grc)
    incident_links.incident_risk_materialised(
        actor=grc, incident=resolved, risk=risk, reason="This is that risk."
    )
    review = services.incident_risk_review_record(actor=grc, incident=resolved, outcome="changed")
    assert review.outcome == "changed"
    assert _close(resolved, grc).status == Status.CLOSED


def test_who_may_record_the_review(users, resolved, make_user):
    for role in ("engineer", "auditor", "executive", "legal"):
        with pytest.raises(PermissionRefused, match="record the review of the risk register"):
            services.incident_risk_review_record(
                actor=users[role], incident=resolved, outcome="no_change", reason="x"
            )
    lead = make_user("engineer", username="the-lead")
    incident_services.incident_assign_lead(actor=users["grc"], incident=resolved, lead=lead)
    resolved.refresh_from_db()
    assert services.incident_risk_review_record(
        actor=lead, incident=resolved, outcome="no_change", reason="Nothing new for the register."
    )


def test_the_incident_page_shows_the_missing_review_and_records_it(client, users, resolved):
    client.force_login(users["grc"])
    page = client.get(resolved.get_absolute_url()).content.decode()
    assert "a recorded review of the risk register" in page  # what the next step needs
    assert 'id="risk-review-missing"' in page and "Record the review" in page
    bad = client.post(
        f"/risks/incidents/{resolved.pk}/risk-review/", {"outcome": "no_change", "reason": ""}
    )
    assert bad.status_code == 302 and not IncidentRiskReview.objects.exists()
    assert "Say why the register needs no change" in client.get(bad.url).content.decode()
    client.post(
        f"/risks/incidents/{resolved.pk}/risk-review/",
        {"outcome": "no_change", "reason": "Already rated for this."},
    )
    page = client.get(resolved.get_absolute_url()).content.decode()
    assert 'id="risk-review-decision"' in page and "Already rated for this." in page
    client.force_login(users["auditor"])
    refused = client.post(
        f"/risks/incidents/{resolved.pk}/risk-review/", {"outcome": "no_change", "reason": "x"}
    )
    assert refused.status_code == 403


def test_the_api_records_and_reads_the_review(users, resolved, api_client_for):
    url = f"/api/v1/incidents/{resolved.pk}/risk-review/"
    grc = api_client_for(users["grc"])
    closing = grc.post(
        f"/api/v1/incidents/{resolved.pk}/transition/", {"to": "closed"}, format="json"
    )
    assert closing.status_code == 409 and "review of the risk register" in closing.json()["message"]
    refused = api_client_for(users["auditor"]).post(
        url, {"outcome": "no_change", "reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    missing = grc.post(url, {"outcome": "changed"}, format="json")
    assert missing.status_code == 400 and "No risk is linked" in missing.json()["message"]
    made = grc.post(url, {"outcome": "no_change", "reason": "Rated already."}, format="json")
    assert made.status_code == 201 and made.json()["decided_by"] == "grc"
    assert made.json()["reason"] == "Rated already."


def test_the_case_file_section_has_the_decision(users, resolved):
    assert selectors.case_file_section(resolved)["risk_review"] is None
    services.incident_risk_review_record(
        actor=users["grc"], incident=resolved, outcome="no_change", reason="Nothing to change."
    )
    assert selectors.case_file_section(resolved)["risk_review"].reason == "Nothing to change."
