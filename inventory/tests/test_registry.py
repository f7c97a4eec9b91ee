"""The MLflow model-registry sync against a real local ``mlflow server``: versions imported
with what the registry knows, alias moves as deployments, idempotence, a registry that is down,
the on-demand API and the periodic schedule."""

import uuid
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from inventory.choices import Environment, RegistrySyncStatus, RegistrySyncTrigger
from inventory.models import Deployment, ModelRegistryLink, ModelVersion, RegistrySync
from inventory.services import registry
from tests.mlflow_server import dead_url

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("mlflow")]


def register(server, versions=2, alias_at="1"):
    """A registered model with ``versions`` versions and @champion on ``alias_at``."""
    name = f"scorer-{uuid.uuid4().hex[:8]}"
    server.create_model(name)
    made = [
        server.create_version(
            name,
            run_id=f"run{n}",
            source=f"s3://models/{name}/{n}",
            description=f"Version {n}: retrained on March data",
            tags={"team": "credit", "n": str(n)},
        )
        for n in range(1, versions + 1)
    ]
    if alias_at:
        server.set_alias(name, "champion", alias_at)
    return name, made


def link(system, users, url, name, **extra):
    return ModelRegistryLink.objects.create(
        system=system, tracking_uri=url, model_name=name, linked_by=users["grc"], **extra
    )


def sync_now(system, actor):
    sync = registry.registry_sync_request(actor=actor, system=system)
    registry.registry_sync_run(sync.pk, final_try=True)
    sync.refresh_from_db()
    return sync


def production_log(system):
    return list(
        Deployment.objects.filter(system=system, environment=Environment.PRODUCTION)
        .order_by("deployed_at", "id")
        .values_list("change_type", "change_reference", "model_version__registry_version")
    )


def test_sync_imports_versions_and_a_second_sync_adds_nothing(mlflow_server, users, make_system):
    system = make_system()
    name, made = register(mlflow_server, versions=2, alias_at="2")
    link(system, users, mlflow_server.url, name)

    first = sync_now(system, users["engineer"])
    assert first.status == RegistrySyncStatus.SUCCEEDED, first.error_message
    assert (first.versions_added, first.versions_updated, first.alias_moves) == (2, 0, 1)
    v1, v2 = ModelVersion.objects.filter(system=system).order_by("registry_version")
    assert (v1.version_label, v1.run_id, v1.artifact_reference) == (
        f"{name} v1",
        "run1",
        f"s3://models/{name}/1",
    )
    assert v1.description == "Version 1: retrained on March data"
    assert v1.tags == {"team": "credit", "n": "1"}
    assert v1.registered_at == datetime.fromtimestamp(made[0]["creation_timestamp"] / 1000, tz=UTC)
    assert (v1.aliases, v2.aliases) == ([], ["champion"])
    # The first sync puts what @champion points at in the change log, as a deploy.
    assert production_log(system) == [("deploy", f"mlflow:models:/{name}/2", "2")]
    deployment = Deployment.objects.get(system=system)
    assert deployment.deployed_by == users["engineer"]  # who asked for the sync
    system.registry_link.refresh_from_db()
    assert "2 added" in system.registry_link.last_sync_summary

    second = sync_now(system, users["engineer"])
    assert (second.versions_added, second.versions_updated, second.alias_moves) == (0, 0, 0)
    assert ModelVersion.objects.filter(system=system).count() == 2
    assert Deployment.objects.filter(system=system).count() == 1


def test_alias_moves_become_deploys_and_rollbacks(mlflow_server, users, make_system):
    system = make_system()
    name, _ = register(mlflow_server, versions=3, alias_at="1")
    link(system, users, mlflow_server.url, name)
    sync_now(system, users["grc"])

    mlflow_server.set_alias(name, "champion", "3")
    moved = sync_now(system, users["grc"])
    assert moved.alias_moves == 1 and moved.versions_updated == 2  # the alias left 1, reached 3
    mlflow_server.set_alias(name, "champion", "2")
    sync_now(system, users["grc"])

    assert production_log(system) == [
        ("deploy", f"mlflow:models:/{name}/1", "1"),
        ("deploy", f"mlflow:models:/{name}/3", "3"),
        ("rollback", f"mlflow:models:/{name}/2", "2"),
    ]
    aliases = dict(
        ModelVersion.objects.filter(system=system).values_list("registry_version", "aliases")
    )
    assert aliases == {"1": [], "2": ["champion"], "3": []}


def test_a_version_already_in_production_is_not_recorded_again(mlflow_server, users, make_system):
    from inventory import services

    system = make_system()
    name, _ = register(mlflow_server, versions=1, alias_at="1")
    # Recorded by hand before the link, under the label the sync gives it: adopted, not doubled.
    by_hand = services.model_version_create(
        actor=users["grc"], system=system, data={"version_label": f"{name} v1"}
    )
    services.deployment_record(
        actor=users["grc"], system=system, data={"model_version": by_hand, "change_type": "deploy"}
    )
    link(system, users, mlflow_server.url, name)
    sync = sync_now(system, users["grc"])
    assert (sync.versions_added, sync.versions_updated, sync.alias_moves) == (0, 1, 0)
    by_hand.refresh_from_db()
    assert (by_hand.registry_version, by_hand.run_id) == ("1", "run1")
    assert Deployment.objects.filter(system=system).count() == 1


def test_staging_alias_is_the_staging_change_log(mlflow_server, users, make_system):
    system = make_system()
    name, _ = register(mlflow_server, versions=2, alias_at="1")
    mlflow_server.set_alias(name, "challenger", "2")
    link(system, users, mlflow_server.url, name, staging_alias="challenger")
    assert sync_now(system, users["grc"]).alias_moves == 2
    assert set(
        Deployment.objects.filter(system=system).values_list(
            "environment", "model_version__registry_version"
        )
    ) == {(Environment.PRODUCTION, "1"), (Environment.STAGING, "2")}


def test_a_registry_that_is_down_fails_the_sync_and_imports_nothing(users, make_system):
    system = make_system()
    link(system, users, dead_url(), "scorer")
    sync = registry.registry_sync_request(actor=users["grc"], system=system)

    assert registry.registry_sync_run(sync.pk, final_try=False) == RegistrySyncStatus.RETRYING
    sync.refresh_from_db()
    assert (sync.status, sync.tries) == (RegistrySyncStatus.RETRYING, 1)
    assert "did not answer" in sync.error_message

    assert registry.registry_sync_run(sync.pk, final_try=True) == RegistrySyncStatus.FAILED
    sync.refresh_from_db()
    assert (sync.status, sync.tries) == (RegistrySyncStatus.FAILED, 2)
    assert sync.finished_at is not None
    assert "Failed after 2 tries" in ModelRegistryLink.objects.get().last_sync_summary
    assert not ModelVersion.objects.filter(system=system).exists()
    assert not Deployment.objects.filter(system=system).exists()
    # A finished sync is left as it is.
    assert registry.registry_sync_run(sync.pk) == RegistrySyncStatus.FAILED


def test_an_unknown_model_fails_at_once_with_mlflows_error(mlflow_server, users, make_system):
    system = make_system()
    link(system, users, mlflow_server.url, "no-such-model")
    sync = registry.registry_sync_request(actor=users["grc"], system=system)
    assert registry.registry_sync_run(sync.pk, final_try=False) == RegistrySyncStatus.FAILED
    sync.refresh_from_db()
    assert sync.error_message.startswith("RESOURCE_DOES_NOT_EXIST")


def test_schedule_queues_one_sync_per_active_link(users, make_system):
    active, inactive = make_system(), make_system()
    link(active, users, dead_url(), "a")
    link(inactive, users, dead_url(), "b", active=False)
    scheduled = registry.registry_syncs_schedule()
    assert [(s.link.system, s.trigger) for s in scheduled] == [
        (active, RegistrySyncTrigger.SCHEDULED)
    ]
    # While that sync is pending, another run of the schedule queues nothing new.
    assert registry.registry_syncs_schedule() == scheduled
    assert RegistrySync.objects.count() == 1


def test_beat_runs_the_schedule_every_quarter_hour():
    from aims.schedules import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["inventory-registry-sync"]
    assert entry == {"task": "inventory.tasks.schedule_registry_syncs", "schedule": 900.0}


# --- the API ---------------------------------------------------------------------------------


def test_api_sync_answers_202_and_the_log_reads_it_back(
    mlflow_server, users, make_system, api_client_for
):
    system = make_system()
    name, _ = register(mlflow_server, versions=1)
    link(system, users, mlflow_server.url, name)
    client = api_client_for(users["engineer"])  # the system's business owner

    response = client.post(f"/api/v1/systems/{system.pk}/registry-sync/")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["status"], body["trigger"], body["model_name"]) == ("queued", "on_demand", name)
    # Asked again while it is queued: the same sync.
    assert client.post(f"/api/v1/systems/{system.pk}/registry-sync/").json()["id"] == body["id"]

    registry.registry_sync_run(body["id"], final_try=True)
    log = api_client_for(users["auditor"]).get(f"/api/v1/systems/{system.pk}/registry-sync/")
    assert log.status_code == 200
    assert [(e["status"], e["versions_added"]) for e in log.json()["results"]] == [("succeeded", 1)]


@pytest.mark.parametrize("role", ["auditor", "dpo", "executive"])
def test_api_sync_is_refused_to_roles_that_do_not_record_versions(
    role, users, make_system, api_client_for
):
    system = make_system()
    link(system, users, dead_url(), "scorer")
    response = api_client_for(users[role]).post(f"/api/v1/systems/{system.pk}/registry-sync/")
    assert response.status_code == 403
    assert "sync the system with its model registry" in response.json()["message"]
    assert not RegistrySync.objects.exists()


def test_api_sync_of_an_unlinked_system_says_how_to_link_it(users, make_system, api_client_for):
    system = make_system()
    response = api_client_for(users["grc"]).post(f"/api/v1/systems/{system.pk}/registry-sync/")
    assert response.status_code == 400
    assert "not linked to a model registry" in response.json()["message"]


def test_model_version_api_shows_registry_fields(mlflow_server, users, make_system, api_client_for):
    system = make_system()
    name, _ = register(mlflow_server, versions=1)
    link(system, users, mlflow_server.url, name)
    sync_now(system, users["grc"])
    body = api_client_for(users["auditor"]).get(f"/api/v1/model-versions/?system={system.pk}")
    (row,) = body.json()["results"]
    assert (row["registry_version"], row["run_id"], row["aliases"]) == ("1", "run1", ["champion"])
    assert row["registered_at"] and timezone.now().year == int(row["registered_at"][:4])


def test_the_task_retries_a_registry_that_is_down_then_gives_up(users, make_system):
    from inventory.tasks import run_registry_sync

    system = make_system()
    link(system, users, dead_url(), "scorer")
    sync = registry.registry_sync_request(actor=users["grc"], system=system)
    assert [registry.retry_countdown(n) for n in (1, 2, 3)] == [60, 240, 960]
    # Run in-process: each retry runs at once instead of after its back-off.
    run_registry_sync.apply(args=[sync.pk])
    sync.refresh_from_db()
    assert (sync.status, sync.tries) == (RegistrySyncStatus.FAILED, registry.SYNC_MAX_TRIES)
