"""The management review's learning-loop figures: CAPAs raised, implemented, verified effective
and ineffective in the period, open and overdue now, effectiveness checks passed and failed,
audit findings by classification and open nonconformities, and the recurrences — the same
figures in the API's serializer and the PDF pack, read back."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from capa import services as capa
from capa.choices import ActionStatus
from capa.tests.factories import capa_at, capa_data
from incidents.tests.factories import add_evidence, confirm_root_cause, file_incident
from reporting import rules, selectors
from reporting.builders.review_pack import render_review_pack

from .test_case_file import pdf_text

pytestmark = pytest.mark.django_db

PERIOD = rules.Period(date(2026, 3, 1), date(2026, 4, 1))
IN_MARCH = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # the roll back is past due, the others not


@pytest.fixture
def loop(users, make_system):
    """In March: one CAPA verified effective, one ineffective (and its follow-up), one left
    open and overdue; a major and a minor finding; a recurrence on the loan scorer."""
    grc, owner, verifier = users["grc"], users["engineer"], users["risk_officer"]
    system = make_system(name="Loan scorer")
    with time_machine.travel(IN_MARCH, tick=False):
        capa_at(ActionStatus.VERIFIED_EFFECTIVE, actor=grc, owner=owner, verifier=verifier)
        capa_at(ActionStatus.INEFFECTIVE, actor=grc, owner=owner, verifier=verifier)
        capa.capa_create(
            actor=grc,
            data=capa_data(owner, horizon="immediate", title="Roll back"),
            incidents=[file_incident(grc)],
        )
        for classification in ("major", "minor"):
            capa.finding_create(
                actor=grc,
                data={
                    "audit_kind": "internal",
                    "audit_reference": "IA-2026-01",
                    "classification": classification,
                    "clause": "10.2",
                    "title": "Checks skipped",
                    "description": "CAPAs closed without a check.",
                    "objective_evidence": "Sample of three.",
                },
            )
        earlier = file_incident(grc, systems=[system], detected_at=IN_MARCH - timedelta(days=20))
        add_evidence(earlier, grc)
        confirm_root_cause(earlier, grc, category="integration_bug")
        capa.capa_create(actor=grc, data=capa_data(owner), incidents=[earlier])
        later = file_incident(grc, systems=[system], detected_at=IN_MARCH)
        add_evidence(later, grc)
        confirm_root_cause(later, grc, category="integration_bug")
    return {"system": system}


def test_the_figures_count_capas_checks_findings_and_recurrences(users, loop):
    figures = selectors.period_metrics(
        start=PERIOD.start, end=PERIOD.end, user=users["auditor"], now=NOW
    )["capa"]
    # raised: effective, ineffective, its follow-up, the roll back, the earlier incident's
    assert figures["capa"]["raised"] == 5
    assert figures["capa"]["implemented"] == 2
    assert figures["capa"]["verified_effective"] == 1
    assert figures["capa"]["ineffective"] == 1
    assert figures["capa"]["open"] == 3
    assert figures["capa"]["overdue"] == 1  # the immediate roll back, due in two days
    assert figures["capa"]["possibly_ineffective"] == 1  # the earlier incident's CAPA
    assert figures["checks"] == {"passed": 1, "failed": 1}
    by_class = {row["key"]: row["count"] for row in figures["findings"]["by_classification"]}
    assert by_class == {"major": 1, "minor": 1, "observation": 0, "opportunity": 0}
    assert figures["findings"]["open_nonconformities"] == 2
    assert figures["recurrences"] == 1


def test_figures_outside_the_period_are_not_counted(users, loop):
    april = selectors.period_metrics(
        start=date(2026, 4, 1), end=date(2026, 5, 1), user=users["auditor"], now=NOW
    )["capa"]
    assert april["capa"]["raised"] == 0 and april["checks"] == {"passed": 0, "failed": 0}
    assert april["recurrences"] == 0
    assert april["capa"]["open"] == 3  # "now" figures do not depend on the period


def test_the_pack_shows_the_capa_figures_and_the_recurrence_count(users, loop):
    with time_machine.travel(NOW, tick=False):
        pdf = render_review_pack(period=PERIOD, user=users["auditor"])
    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert "Corrective actions and audit findings" in text
    assert "CAPAs raised in the period 5" in text
    assert "CAPAs verified effective in the period 1" in text
    assert "CAPAs found ineffective in the period 1" in text
    assert "CAPAs overdue now 1" in text
    assert "Effectiveness checks passed 1" in text
    assert "Effectiveness checks failed 1" in text
    assert "Major nonconformity 1" in text
    assert "Nonconformities open now 2" in text
    assert "1 recurrence was confirmed in the period" in text
    assert "until the corrective-action (CAPA) module exists" not in text
