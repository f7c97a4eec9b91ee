"""The management review learns how the period's incidents changed the register: risks
materialised, re-rated (up or down) and raised, the closure reviews, the impact assessments
called into question and the detection thresholds changed — plus the root causes by category
and the post-incident reviews against their due dates. Exercises change none of it. The same
figures in the API, the dashboard and the PDF pack, read back."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from capa import services as capa
from capa.tests.pir_factories import LESSONS, closed_incident, review_for
from incidents import services as incidents
from incidents.choices import Kind
from incidents.tests.factories import file_incident
from inventory import services as inventory
from reporting import rules, selectors
from reporting.builders.review_pack import render_review_pack
from risk import incident_links
from risk.models import Control
from risk.tests.factories import treated_risk

from .test_case_file import pdf_text

pytestmark = pytest.mark.django_db

PERIOD = rules.Period(date(2026, 3, 1), date(2026, 4, 1))
IN_MARCH = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # a Wednesday
NOW = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def month(users, make_system):
    """In March: an incident on which a risk was re-rated up and another materialised, and a
    threshold changed; a closed incident whose review was approved in time; an open incident
    that raised a new risk; an exercise that re-rated a risk down (not counted)."""
    grc, officer = users["grc"], users["risk_officer"]
    system = make_system(name="Loan scorer")
    rule = inventory.monitoring_rule_create(
        actor=grc, system=system, data={"metric": "psi", "threshold": "0.3", "channel": "am"}
    )
    with time_machine.travel(IN_MARCH, tick=False):
        control = Control.objects.get(code="A.6.2.6")
        first = treated_risk(grc, controls=[control], systems=[system], residual=(2, 3))
        second = treated_risk(grc, controls=[control], systems=[system], residual=(2, 2))
        struck = file_incident(grc, systems=[system], title="Approvals collapsed")
        incident_links.incident_risk_rerate(
            actor=grc,
            incident=struck,
            risk=first,
            which="residual",
            likelihood=4,
            impact=3,
            reason="Twice in a week",
        )
        incident_links.incident_risk_materialised(actor=grc, incident=struck, risk=second)
        incidents.threshold_change_for_incident(
            actor=grc, incident=struck, rule=rule, data={"threshold": "0.2", "reason": "late"}
        )
    closed = closed_incident(grc, system, at=IN_MARCH + timedelta(days=1), title="Closed one")
    with time_machine.travel(IN_MARCH + timedelta(days=3), tick=False):
        review = review_for(closed)
        capa.review_update(actor=grc, review=review, data=LESSONS)
        capa.review_submit(actor=grc, review=review)
        capa.review_approve(actor=officer, review=review, comment="Good.")
        open_one = file_incident(grc, systems=[system], title="Still open")
        incident_links.incident_risk_raise(
            actor=grc,
            incident=open_one,
            data={
                "title": "Scorer drifts after vendor updates",
                "description": "d",
                "category": "performance",
                "owner": grc,
            },
        )
        exercise = file_incident(grc, systems=[system], kind=Kind.EXERCISE, title="Drill")
        incident_links.incident_risk_rerate(
            actor=grc,
            incident=exercise,
            risk=first,
            which="residual",
            likelihood=1,
            impact=1,
            reason="Drill",
        )
    return {"first": first, "second": second}


def _figures(users):
    return selectors.period_metrics(
        start=PERIOD.start, end=PERIOD.end, user=users["auditor"], now=NOW
    )


def test_the_register_changes_of_the_period_and_not_the_exercise(users, month):
    risk = _figures(users)["risk"]
    assert risk["links"]["rerated"] == 1 and risk["rerated_up"] == 1 and risk["rerated_down"] == 0
    assert risk["links"]["materialised"] == 1 and risk["links"]["raised"] == 1
    assert risk["threshold_changes"] == 1
    assert risk["reviews"]["no_change"] >= 1  # the closed incidents' closure reviews
    listed = {row["incident"]: row["links"] for row in risk["by_incident"]}
    first = month["first"].reference
    assert any(
        f"{first} risk re-rated (6 → 12)" in text for texts in listed.values() for text in texts
    )
    assert not any("(12 → 1)" in text for texts in listed.values() for text in texts)


def test_root_causes_by_category_and_reviews_on_time(users, month):
    learning = _figures(users)["learning"]
    assert learning["root_causes_confirmed"] >= 1
    assert learning["reviews"]["on_time"] == 1 and learning["reviews"]["late"] == 0


def test_the_api_dashboard_and_pack_show_them(users, month, api_client_for, client):
    body = api_client_for(users["auditor"]).get(
        "/api/v1/review-metrics/", {"start": "2026-03-01", "end": "2026-04-01"}
    )
    assert body.status_code == 200, body.content
    assert body.json()["risk"]["links"]["materialised"] == 1
    assert body.json()["learning"]["reviews"]["on_time"] == 1

    client.force_login(users["auditor"])
    page = client.get("/reports/review/dashboard/", {"start": "2026-03-01", "end": "2026-04-01"})
    assert 'id="pack-risk-figures"' in page.content.decode()

    with time_machine.travel(NOW, tick=False):
        pdf = render_review_pack(period=PERIOD, user=users["auditor"])
    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert "Risks, impact assessments and detection after incidents" in text
    assert "Risks re-rated (1 up, 0 down) 1" in text
    assert "Detection thresholds changed 1" in text
    assert f"{month['first'].reference} risk re-rated (6 → 12)" in text
    assert "Approved on time 1" in text
    assert "What later modules will add" not in text
