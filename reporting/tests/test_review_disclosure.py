"""The management review's disclosure figures: obligations per regime submitted on time, late
or still owed, "not required" decisions, assessments signed off and communications sent — the
same figures in the API, the dashboard and the PDF pack, read back."""

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from disclosure import services as disclosure
from incidents.tests.factories import file_incident
from reporting import rules, selectors
from reporting.services import report_execute, review_pack_request

from .test_case_file import pdf_text as layout_text

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
PERIOD = rules.Period(date(2026, 3, 1), date(2026, 4, 1))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)


@contextmanager
def at(moment):
    with time_machine.travel(moment, tick=False):
        yield


def breach(users, system, moment):
    """A personal-data breach likely to result in a risk: GDPR Art. 33 applies (72 h)."""
    with at(moment):
        incident = file_incident(
            users["grc"],
            systems=[system],
            harm_flags=["personal_data_breach"],
            detected_at=moment,
        )
        disclosure.incident_facts_update(
            actor=users["dpo"], incident=incident, data={"breach_risk": "risk"}
        )
    return incident


def art33(incident):
    return incident.disclosure_assessment.obligations.get(code="gdpr_art33")


def submit(users, incident, when):
    with at(NOW):
        disclosure.obligation_submit(
            actor=users["dpo"], obligation=art33(incident), phase="complete", submitted_at=when
        )


@pytest.fixture
def period(users, make_system):
    """March 2026: four breaches — one reported on time, one late, one still owed (overdue),
    one decided "not required"; one signed off; one message sent. April's breach is outside."""
    system = make_system(name="Claims triage", gdpr_role="controller")
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    on_time, late, owed, declined = (breach(users, system, t + n * 24 * H) for n in range(4))
    submit(users, on_time, t + 10 * H)
    submit(users, late, t + 24 * H + 80 * H)
    with at(NOW):
        disclosure.obligation_confirm(
            actor=users["dpo"],
            obligation=art33(declined),
            applies="no",
            reason="The data were encrypted with a key that was not compromised.",
        )
        assessment = on_time.disclosure_assessment
        for row in assessment.obligations.exclude(proposed="no"):
            if row.code != "gdpr_art33" and row.applies == "":
                disclosure.obligation_confirm(
                    actor=users["dpo"],
                    obligation=row,
                    applies="no" if row.proposed == "undetermined" else row.proposed,
                    reason="Reviewed.",
                )
        disclosure.obligation_confirm(
            actor=users["dpo"], obligation=art33(on_time), applies="yes", reason=""
        )
        disclosure.assessment_sign_off(actor=users["legal"], assessment=assessment)
        message = disclosure.communication_draft(
            actor=users["dpo"],
            incident=on_time,
            data={
                "audience": "customers",
                "channel": "e-mail",
                "subject": "About your claim",
                "content": "We are writing to tell you.",
            },
        )
        disclosure.communication_approve(actor=users["legal"], communication=message)
        disclosure.communication_send(actor=users["dpo"], communication=message)
    outside = breach(users, system, datetime(2026, 4, 3, 9, 0, tzinfo=UTC))
    submit(users, outside, datetime(2026, 4, 3, 11, 0, tzinfo=UTC))
    return {"on_time": on_time, "late": late, "owed": owed, "declined": declined}


def figures(user):
    return selectors.period_metrics(start=PERIOD.start, end=PERIOD.end, user=user, now=NOW)[
        "disclosure"
    ]


def test_the_period_figures_per_regime(period, users):
    d = figures(users["auditor"])
    gdpr = next(r for r in d["by_regime"] if r["code"] == "gdpr_art33")
    assert (gdpr["applied"], gdpr["on_time"], gdpr["late"], gdpr["owed"], gdpr["overdue"]) == (
        3,
        1,
        1,
        1,
        1,
    )
    assert gdpr["not_required"] == 1
    assert d["assessments"] == {"assessed": 4, "signed_off": 1, "reopened": 0, "open": 3}
    assert d["communications_sent"] == 1
    assert d["communications_by_audience"] == [
        {"audience": "customers", "label": "Customers", "sent": 1}
    ]
    assert d["totals"]["on_time"] == 1 and d["totals"]["late"] == 1


def test_the_figures_follow_what_the_reader_may_see(period, users):
    """The ethics role sees only protected-channel incidents: none of these."""
    d = figures(users["ethics"])
    assert d["by_regime"] == [] and d["assessments"]["assessed"] == 0


def test_the_figures_cost_three_queries_whatever_the_data(period, users, make_system):
    auditor = users["auditor"]
    auditor.role_names  # noqa: B018 - read once, as a request does

    def count():
        with CaptureQueriesContext(connection) as captured:
            figures(auditor)
        return len(captured)

    few = count()
    system = make_system(name="More", gdpr_role="controller")
    for n in range(4):
        breach(users, system, datetime(2026, 3, 20, 9, 0, tzinfo=UTC) + n * H)
    assert count() == few
    assert figures(auditor)["assessments"]["assessed"] == 8


def test_the_api_carries_the_disclosure_figures(period, users, api_client_for):
    with at(NOW):
        body = (
            api_client_for(users["auditor"])
            .get("/api/v1/review-metrics/", {"start": "2026-03-01", "end": "2026-04-01"})
            .json()
        )
    gdpr = next(r for r in body["disclosure"]["by_regime"] if r["code"] == "gdpr_art33")
    assert (gdpr["on_time"], gdpr["late"], gdpr["owed"]) == (1, 1, 1)
    assert body["disclosure"]["assessments"]["signed_off"] == 1


def test_the_dashboard_shows_the_disclosure_figures(period, users, client):
    client.force_login(users["executive"])
    with at(NOW):
        html = client.get("/reports/review/dashboard/?from=2026-03-01&to=2026-03-31")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.content.decode()))
    assert "Regulatory disclosure" in text
    assert "gdpr_art33 3 1 1 1 1 1" in text
    assert "4 made, 1 signed off by legal, 0 reopened, 3 open" in text


def test_the_pack_carries_the_disclosure_figures(period, users):
    with at(NOW):
        run = review_pack_request(actor=users["auditor"], start=PERIOD.start, end=PERIOD.end)
        run = report_execute(run.pk)
    with open(run.file.path, "rb") as handle:
        flat = re.sub(r"\s+", " ", layout_text(handle.read()))
    assert "Regulatory disclosure" in flat
    assert "gdpr_art33 3 1 1 1 1 1" in flat
    assert "Disclosure assessments: 4 made, 1 signed off by legal, 0 reopened, 3 open." in flat
    assert "Communications sent: 1 (Customers 1)." in flat
    assert "About your claim" not in flat  # the pack carries no text typed by users
    assert "encrypted with a key" not in flat
