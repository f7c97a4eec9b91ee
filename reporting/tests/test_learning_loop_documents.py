"""The learning loop in the audit documents: the audit-sample bundle's index lists each sampled
incident's CAPAs; the case file's audit trail carries the history rows of the incident's CAPAs;
the case file says which management review covered a P0/P1 incident."""

import io
import json
import tempfile
import zipfile
from datetime import date

import pytest

from capa import services as capa
from capa.choices import ActionStatus
from capa.tests.factories import capa_at, raise_capa
from incidents.choices import Severity
from incidents.tests.factories import file_incident
from reporting import services
from reporting.builders.casefile import case_file_context, render_case_file
from reporting.choices import RunStatus

from .test_case_file import flat, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bundles_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_the_sample_index_lists_each_incident_s_capas(users):
    grc = users["grc"]
    done = capa_at(
        ActionStatus.VERIFIED_EFFECTIVE,
        actor=grc,
        owner=users["engineer"],
        verifier=users["risk_officer"],
        title="Pin the vendor model",
    )
    with_capa = done.incidents.get()
    without = file_incident(grc)
    run = services.audit_sample_request(actor=users["auditor"], data={"size": 5, "seed": 7})
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with run.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    index = {row["reference"]: row["capas"] for row in manifest["incidents"]}
    assert index[without.reference] == []
    assert index[with_capa.reference] == [
        {
            "reference": done.reference,
            "title": "Pin the vendor model",
            "status": "verified_effective",
            "effectiveness_check": "passed",
        }
    ]


def test_the_case_file_audit_trail_lists_the_capa_s_own_history(users):
    grc = users["grc"]
    made = raise_capa(grc, users["engineer"])
    incident = made.incidents.get()
    capa.capa_transition(actor=users["engineer"], capa=made, to=ActionStatus.IN_PROGRESS)
    other = raise_capa(grc, users["engineer"], title="Another incident's CAPA")
    rows = case_file_context(incident=incident, actor=users["auditor"])["audit"].rows
    capa_rows = [row for row in rows if row.record.startswith("CAPA #")]
    assert {row.action for row in capa_rows} == {"created", "changed"}
    assert all(f"#{made.pk} " in row.record for row in capa_rows)
    assert not any(f"CAPA #{other.pk} " in row.record for row in rows)
    assert any(
        "in_progress" in str(row.changes) or "In progress" in str(row.changes) for row in capa_rows
    )
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert f"CAPA #{made.pk}" in text


def test_the_case_file_names_the_management_review_that_covered_the_incident(users):
    grc = users["grc"]
    incident = file_incident(grc, severity=Severity.P1, severity_reason="Many customers")
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert "Not yet covered by a management review" in text
    today = incident.detected_at.date()
    review = capa.management_review_create(
        actor=grc,
        data={
            "meeting_date": today,
            "period_start": date(today.year, today.month, 1),
            "period_end": today,
            "other_attendees": "Board chair",
            "minutes": "Went through the month.",
        },
    )
    capa.management_review_transition(actor=grc, review=review, to="recorded")
    text = flat(pdf_text(render_case_file(incident=incident, actor=users["auditor"])))
    assert f"Covered by management review {review.reference}" in text
    rows = case_file_context(incident=incident, actor=users["auditor"])["audit"].rows
    assert any(row.record.startswith("management-review coverage #") for row in rows)


def test_the_incident_register_export_carries_capas_and_the_root_cause_category(users):
    import csv

    from incidents.tests.factories import add_evidence, confirm_root_cause

    grc = users["grc"]
    incident = file_incident(grc, title="Parser drops postcodes")
    add_evidence(incident, grc)
    confirm_root_cause(incident, grc, category="integration_bug")
    made = raise_capa(grc, users["engineer"], incidents=[incident])
    plain = file_incident(grc, title="Nothing done yet")
    run = services.register_export_request(actor=users["auditor"], fmt="csv", params={})
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    with services.report_open(actor=run.requested_by, run=run) as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8"))))
    header, body = rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert header[-2:] == ["CAPAs", "Root-cause category"]
    assert body[incident.reference]["CAPAs"] == made.reference
    assert body[incident.reference]["Root-cause category"] == "Prompt or integration bug"
    assert (
        body[plain.reference]["CAPAs"] == "" and body[plain.reference]["Root-cause category"] == ""
    )
