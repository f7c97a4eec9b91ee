"""Containment option A through the MLflow registry, against a real local ``mlflow server``:
the guards before the move, the alias read back, the rollback in the change log, the timeline,
the case file, and a failed move that leaves the change log as it was."""

import subprocess
import uuid

import pytest
from django.urls import reverse

from incidents.choices import RegistryRollbackStatus, TimelineKind
from incidents.models import ContainmentDecision, RegistryRollback
from incidents.services import registry_rollback
from inventory.models import Deployment, ModelRegistryLink, ModelVersion
from inventory.services import registry
from reporting.builders.casefile import render_case_file
from tests.mlflow_server import dead_url

from .factories import add_evidence, file_incident

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("mlflow")]


@pytest.fixture
def linked(mlflow_server, users, make_system):
    """A system whose MLflow model has versions 1 and 2, @champion on 2 (synced), and an open
    incident on it. ``users["grc"]`` may contain; the engineer (an owner, not the lead) may not."""
    name = f"scorer-{uuid.uuid4().hex[:8]}"
    mlflow_server.create_model(name)
    for n in (1, 2):
        mlflow_server.create_version(name, run_id=f"run{n}", source=f"s3://m/{name}/{n}")
    mlflow_server.set_alias(name, "champion", "2")
    system = make_system()
    ModelRegistryLink.objects.create(
        system=system, tracking_uri=mlflow_server.url, model_name=name, linked_by=users["grc"]
    )
    sync = registry.registry_sync_request(actor=users["grc"], system=system)
    registry.registry_sync_run(sync.pk, final_try=True)
    incident = file_incident(users["grc"], systems=[system])
    versions = {v.registry_version: v for v in ModelVersion.objects.filter(system=system)}
    return {"name": name, "system": system, "incident": incident, "versions": versions}


def contain(client, linked, **extra):
    return client.post(
        f"/api/v1/incidents/{linked['incident'].pk}/containment/",
        {
            "option": "reroute",
            "rationale": "Version 2 rejects valid applicants; version 1 did not.",
            "fallback_version": linked["versions"]["1"].pk,
            "move_registry_alias": True,
            **extra,
        },
        format="json",
    )


def change_log(system):
    return list(
        Deployment.objects.filter(system=system)
        .order_by("deployed_at", "id")
        .values_list("change_type", "change_reference")
    )


def registry_timeline(incident):
    return list(
        incident.timeline.filter(kind=TimelineKind.REGISTRY)
        .order_by("at", "id")
        .values_list("summary", flat=True)
    )


def test_refused_before_evidence_is_preserved(linked, users, api_client_for, mlflow_server):
    response = contain(api_client_for(users["grc"]), linked)
    assert response.status_code == 409
    assert response.json()["code"] == "guard_failed"
    assert "Preserve evidence first" in response.json()["message"]
    assert not RegistryRollback.objects.exists() and not ContainmentDecision.objects.exists()
    assert mlflow_server.alias(linked["name"], "champion") == "2"


def test_refused_to_a_role_that_may_not_contain(linked, users, api_client_for):
    add_evidence(linked["incident"], users["grc"])
    response = contain(api_client_for(users["engineer"]), linked)
    assert response.status_code == 403
    assert "decide containment" in response.json()["message"]
    assert not RegistryRollback.objects.exists()


def test_after_evidence_the_alias_moves_back_and_is_recorded(
    linked, users, api_client_for, mlflow_server
):
    incident, system, name = linked["incident"], linked["system"], linked["name"]
    add_evidence(incident, users["grc"])
    client = api_client_for(users["grc"])
    assert change_log(system) == [("deploy", f"mlflow:models:/{name}/2")]

    response = contain(client, linked)
    assert response.status_code == 201, response.json()
    rollback = RegistryRollback.objects.get()
    assert (rollback.status, rollback.from_version, rollback.to_version) == (
        RegistryRollbackStatus.REQUESTED,
        linked["versions"]["2"],
        linked["versions"]["1"],
    )
    # Nothing is moved until the task runs: the decision does not wait on MLflow.
    assert mlflow_server.alias(name, "champion") == "2"

    status = registry_rollback.registry_rollback_execute(rollback.pk, final_try=True)
    assert status == RegistryRollbackStatus.MOVED
    assert mlflow_server.alias(name, "champion") == "1"
    assert change_log(system) == [
        ("deploy", f"mlflow:models:/{name}/2"),
        ("rollback", f"mlflow:models:/{name}/1"),
    ]
    deployment = Deployment.objects.get(change_type="rollback")
    assert incident.reference in deployment.notes and deployment.deployed_by == users["grc"]
    requested, moved = registry_timeline(incident)
    assert requested.startswith("Rollback requested in MLflow: move @champion")
    assert (
        moved.startswith("Rolled back in MLflow: @champion") and "reads back as version 1" in moved
    )

    state = client.get(f"/api/v1/incidents/{incident.pk}/registry-rollbacks/").json()["results"]
    assert [(r["status"], r["to_registry_version"], r["change_reference"]) for r in state] == [
        ("moved", "1", f"mlflow:models:/{name}/1")
    ]
    # A sync afterwards sees the alias where the change log already has it: nothing new.
    sync = registry.registry_sync_request(actor=users["grc"], system=system)
    registry.registry_sync_run(sync.pk, final_try=True)
    assert len(change_log(system)) == 2

    pdf = render_case_file(incident=incident, actor=users["auditor"])
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    assert "Rollbacks in the model registry" in text
    section = text[text.index("Rollbacks in the model registry") :][:500]
    # Table cells wrap, so the words are checked one by one within the section.
    for words in ("Moved and", "Alias read back", "change log: rollback", f"{name}/1"):
        assert words in section


def test_a_version_deleted_in_mlflow_fails_and_leaves_the_change_log(
    linked, users, api_client_for, mlflow_server
):
    incident, system, name = linked["incident"], linked["system"], linked["name"]
    add_evidence(incident, users["grc"])
    client = api_client_for(users["grc"])
    assert contain(client, linked).status_code == 201
    mlflow_server.delete_version(name, "1")
    rollback = RegistryRollback.objects.get()

    status = registry_rollback.registry_rollback_execute(rollback.pk, final_try=False)
    assert status == RegistryRollbackStatus.FAILED  # refused by MLflow: no point retrying
    rollback.refresh_from_db()
    assert "RESOURCE_DOES_NOT_EXIST" in rollback.error_message
    assert change_log(system) == [("deploy", f"mlflow:models:/{name}/2")]
    assert mlflow_server.alias(name, "champion") == "2"
    failed = registry_timeline(incident)[-1]
    assert failed.startswith("Rollback in MLflow failed (try 1): RESOURCE_DOES_NOT_EXIST")
    assert "the change log is unchanged" in failed

    # The retry: asked through the API, by someone who may contain; refused to others.
    url = f"/api/v1/incidents/{incident.pk}/registry-rollbacks/retry/"
    assert api_client_for(users["engineer"]).post(url).status_code == 403
    response = client.post(url)
    assert response.status_code == 202 and response.json()["status"] == "requested"
    assert client.post(url).status_code == 400  # only a failed one is retried


def test_a_registry_that_is_down_is_retried_then_fails(linked, users, api_client_for):
    incident, system = linked["incident"], linked["system"]
    add_evidence(incident, users["grc"])
    assert contain(api_client_for(users["grc"]), linked).status_code == 201
    ModelRegistryLink.objects.filter(system=system).update(tracking_uri=dead_url())
    rollback = RegistryRollback.objects.get()

    assert (
        registry_rollback.registry_rollback_execute(rollback.pk, final_try=False)
        == RegistryRollbackStatus.REQUESTED
    )
    assert "will retry" in registry_timeline(incident)[-1]
    assert (
        registry_rollback.registry_rollback_execute(rollback.pk, final_try=True)
        == RegistryRollbackStatus.FAILED
    )
    rollback.refresh_from_db()
    assert rollback.tries == 2 and "did not answer" in rollback.error_message
    assert Deployment.objects.filter(system=system, change_type="rollback").count() == 0


def test_the_choice_needs_a_version_from_the_registry(linked, users, api_client_for):
    from inventory import services as inventory_services

    add_evidence(linked["incident"], users["grc"])
    by_hand = inventory_services.model_version_create(
        actor=users["grc"], system=linked["system"], data={"version_label": "hand-made"}
    )
    response = contain(api_client_for(users["grc"]), linked, fallback_version=by_hand.pk)
    assert response.status_code == 400
    assert "cannot be put back through a model registry" in response.json()["message"]
    response = contain(api_client_for(users["grc"]), linked, fallback_version=None)
    assert response.status_code == 400
    assert not RegistryRollback.objects.exists()


def test_from_the_incident_page(linked, users, client):
    incident = linked["incident"]
    client.force_login(users["grc"])
    page = client.get(incident.get_absolute_url())
    assert "Move the production alias in MLflow to this version" in page.content.decode()

    form = {
        "option": "reroute",
        "rationale": "Back to the known-good version",
        "fallback_version": linked["versions"]["1"].pk,
        "move_registry_alias": "on",
    }
    url = reverse("incidents:incident-containment", args=[incident.pk])
    refused = client.post(url, form, follow=True)
    assert "Preserve evidence first" in refused.content.decode()
    assert not RegistryRollback.objects.exists()

    add_evidence(incident, users["grc"])
    done = client.post(url, form, follow=True).content.decode()
    assert "The production alias is being moved in MLflow" in done
    rollback = RegistryRollback.objects.get()
    assert 'hx-trigger="every 3s"' in done  # the page polls while it is pending

    registry_rollback.registry_rollback_execute(rollback.pk, final_try=True)
    fragment = client.get(
        reverse("incidents:incident-registry-rollbacks", args=[incident.pk])
    ).content.decode()
    assert "Moved and verified" in fragment and "every 3s" not in fragment


def test_the_page_does_not_offer_the_move_without_a_registry(users, make_system, client):
    incident = file_incident(users["grc"], systems=[make_system()])
    client.force_login(users["grc"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Record containment decision" in page  # positive control: the form is there
    assert "Move the production alias in MLflow" not in page


def test_the_task_retries_then_records_the_failure(linked, users, api_client_for):
    from incidents.tasks import move_registry_alias

    add_evidence(linked["incident"], users["grc"])
    assert contain(api_client_for(users["grc"]), linked).status_code == 201
    ModelRegistryLink.objects.filter(system=linked["system"]).update(tracking_uri=dead_url())
    rollback = RegistryRollback.objects.get()
    move_registry_alias.apply(args=[rollback.pk])  # in-process: retries run at once
    rollback.refresh_from_db()
    assert (rollback.status, rollback.tries) == (
        RegistryRollbackStatus.FAILED,
        registry_rollback.ROLLBACK_MAX_TRIES,
    )
    outcomes = registry_timeline(linked["incident"])[1:]
    assert [("will retry" in o) for o in outcomes] == [True, True, False]


def test_a_request_whose_task_never_ran_can_be_asked_again(linked, users, api_client_for):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    add_evidence(linked["incident"], users["grc"])
    client = api_client_for(users["grc"])
    assert contain(client, linked).status_code == 201  # no worker: it stays requested
    url = f"/api/v1/incidents/{linked['incident'].pk}/registry-rollbacks/retry/"
    early = client.post(url)
    assert early.status_code == 400 and "this one is requested" in early.json()["message"]
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert client.post(url).status_code == 202
