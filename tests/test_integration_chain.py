"""The tool chain end to end, against real local servers (an ``mlflow server`` and a server
that plays PagerDuty and checks each request against the published schema): an Alibi Detect
drift report arrives at the intake and opens an incident with the report as evidence; the
incident is rated P1 and PagerDuty is paged; the team rolls the MLflow alias back from the
incident page — allowed because the report is already preserved evidence — and the change log,
the timeline and the case file show it; containment resolves the page."""

import hashlib
import json
import re
import uuid

import pytest
from django.urls import reverse

from aims.notify.models import PagingService
from aims.notify.services import deliver_due
from incidents import services
from incidents.choices import Status
from incidents.models import Incident, RegistryRollback
from incidents.services import registry_rollback
from inventory.models import Deployment, ModelRegistryLink, ModelVersion
from inventory.services import registry
from reporting.builders.casefile import render_case_file
from reporting.tests.test_case_file import pdf_text
from tests.pager_server import PagerServer

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("mlflow")]

PD_KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"


def ks_drift():
    """An Alibi Detect KSDrift ``predict()`` output, as Seldon's detector server posts it."""
    return {
        "data": {"is_drift": 1, "distance": [0.41], "p_val": [0.0004], "threshold": 0.025},
        "meta": {"name": "KSDrift", "detector_type": "drift", "version": "0.12.0"},
    }


@pytest.fixture
def pager(monkeypatch, settings):
    server = PagerServer()
    settings.SITE_URL = "https://aims.example.com"
    monkeypatch.setenv("AIMS_TEST_PD_KEY", PD_KEY)
    PagingService.objects.create(
        name="AI on-call", vendor="pagerduty", api_url=server.url, key_env="AIMS_TEST_PD_KEY"
    )
    yield server
    server.close()


def pagerduty_actions(server):
    return [(action, body["dedup_key"]) for v, action, _p, _h, body in server.requests]


def test_drift_report_to_rollback_to_resolved_page(
    mlflow_server, pager, users, make_system, api_client_for, client
):
    grc = users["grc"]
    name = f"credit-{uuid.uuid4().hex[:8]}"
    mlflow_server.create_model(name)
    for n in (1, 2):
        mlflow_server.create_version(name, run_id=f"run{n}", source=f"s3://models/{name}/{n}")
    mlflow_server.set_alias(name, "champion", "2")
    system = make_system(name="Credit scoring", business_owner=users["engineer"])
    ModelRegistryLink.objects.create(
        system=system, tracking_uri=mlflow_server.url, model_name=name, linked_by=grc
    )
    registry.registry_sync_run(
        registry.registry_sync_request(actor=grc, system=system).pk, final_try=True
    )

    # 1. The drift report opens the incident, and is its evidence, byte for byte.
    raw = json.dumps(ks_drift()).encode()
    answer = api_client_for(users["engineer"]).post(
        f"/api/v1/alerts/alibi-detect/?system={system.reference}",
        data=raw,
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.content
    (reference,) = answer.json()["opened"]
    incident = Incident.objects.get(reference=reference)
    (evidence,) = incident.evidence.all()
    assert evidence.sha256 == hashlib.sha256(raw).hexdigest()

    # 2. Triage rates it P1: PagerDuty is paged (after commit, by the worker), then acknowledged.
    services.incident_set_severity(actor=grc, incident=incident, severity=1, reason="Loans")
    deliver_due()
    assert pagerduty_actions(pager) == [("trigger", reference)]
    incident = services.incident_transition(
        actor=grc, incident=incident, to=Status.TRIAGED, reason="Drift confirmed on income."
    )

    # 3. From the incident page: option A, moving @champion back to version 1.
    known_good = ModelVersion.objects.get(system=system, registry_version="1")
    client.force_login(grc)
    page = client.post(
        reverse("incidents:incident-containment", args=[incident.pk]),
        {
            "option": "reroute",
            "rationale": "Version 2 drifted on applicant income; version 1 did not.",
            "fallback_version": known_good.pk,
            "move_registry_alias": "on",
        },
        follow=True,
    ).content.decode()
    assert "The production alias is being moved in MLflow" in page
    rollback = RegistryRollback.objects.get(decision__incident=incident)
    assert registry_rollback.registry_rollback_execute(rollback.pk, final_try=True) == "moved"
    assert mlflow_server.alias(name, "champion") == "1"  # read back from the registry
    rollback_entry = Deployment.objects.get(system=system, change_type="rollback")
    assert rollback_entry.change_reference == f"mlflow:models:/{name}/1"

    # 4. Contained: PagerDuty is resolved; every request matched the published schema.
    services.incident_transition(
        actor=grc, incident=incident, to=Status.CONTAINED, reason="Traffic on version 1."
    )
    deliver_due()
    assert pagerduty_actions(pager) == [
        ("trigger", reference),
        ("acknowledge", reference),
        ("resolve", reference),
    ]
    assert not pager.invalid

    # 5. The case file shows the rollback, the page and the report.
    text = re.sub(
        r"\s+", " ", pdf_text(render_case_file(incident=incident, actor=users["auditor"]))
    )
    assert "Rollbacks in the model registry" in text
    assert f"mlflow:models:/{name}/1" in text or "@champion" in text
    assert "Page resolve to AI on-call" in text
    assert evidence.sha256 in text
