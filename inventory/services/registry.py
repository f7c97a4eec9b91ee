"""The MLflow model-registry sync and the alias moves other modules ask for.

A sync reads the registry first (network, outside any transaction), then applies what it read in
one transaction: new versions are added, changed ones updated, and every move of the production
(or staging) alias since the change log last showed it becomes a ``Deployment``. A registry
that does not answer leaves nothing half-imported; the sync log says why, and the task tries
again with back-off. Running a sync twice adds nothing the second time.

Alias moves found by a sync are facts that already happened in the registry: they are recorded
without the change-log guards (which stop a person from rolling back before evidence is
preserved, DESIGN section 3) — refusing them would make the change log disagree with what is
serving. The containment rollback checks the guards before it moves the alias.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.queueing import hand_to_worker
from aims.core.services import audited_write, model_save

from .. import hooks, permissions
from ..choices import REGISTRY_SYNC_PENDING, ChangeType, Environment, RegistrySyncStatus
from ..choices import RegistrySyncTrigger as Trigger
from ..mlflow_client import MlflowClient, RegisteredModel, RegistryError
from ..models import AISystem, Deployment, ModelRegistryLink, ModelVersion, RegistrySync
from ..rules import mlflow_change_reference, registry_version_order

logger = logging.getLogger(__name__)

SYNC_MAX_TRIES = 4  # the first try and three retries, 1, 4 and 16 minutes apart
STALE_AFTER = timedelta(minutes=30)  # a pending sync untouched this long is sent again


class RegistryAliasMismatch(RegistryError):
    """The alias was set but reads back as another version: someone else moved it meanwhile."""


def retry_countdown(tries: int) -> int:
    """Seconds before the next try: 60, 240, 960 …"""
    return 60 * 4 ** max(tries - 1, 0)


def client_for(link: ModelRegistryLink) -> MlflowClient:
    return MlflowClient(link.tracking_uri)


def _link_of(system: AISystem) -> ModelRegistryLink:
    link = ModelRegistryLink.objects.filter(system=system).first()
    if link is None:
        raise ValidationFailed(
            _(
                "%(system)s is not linked to a model registry. GRC staff link it in the admin "
                "(Model registry links)."
            )
            % {"system": system.reference}
        )
    return link


def _queue(sync_id: int) -> None:
    from ..tasks import run_registry_sync

    hand_to_worker(run_registry_sync, sync_id, what="registry sync")


@audited_write
def registry_sync_request(*, actor, system: AISystem) -> RegistrySync:
    """Ask for a sync now. A sync already queued or running for the link is answered instead."""
    require(permissions.can_sync_registry(actor, system))
    link = _link_of(system)
    if not link.active:
        raise ValidationFailed(
            _("The registry link of %(system)s is inactive; GRC staff can activate it.")
            % {"system": system.reference}
        )
    return _sync_create(link=link, trigger=Trigger.ON_DEMAND, actor=actor)


def _sync_create(*, link, trigger, actor) -> RegistrySync:
    link = ModelRegistryLink.objects.select_for_update(no_key=True).get(pk=link.pk)
    pending = link.syncs.filter(status__in=REGISTRY_SYNC_PENDING).first()
    if pending is not None:
        if pending.updated_at < timezone.now() - STALE_AFTER:
            # Its message was lost (broker down, worker gone): send it again.
            transaction.on_commit(lambda: _queue(pending.pk))
        return pending
    sync = model_save(
        RegistrySync(
            link=link, trigger=trigger, requested_by=actor if getattr(actor, "pk", None) else None
        ),
        actor=actor,
        lookups=False,
    )
    transaction.on_commit(lambda: _queue(sync.pk))
    return sync


@audited_write
def registry_syncs_schedule() -> list[RegistrySync]:
    """The periodic sync: one queued sync per active link (none while one is pending)."""
    return [
        _sync_create(link=link, trigger=Trigger.SCHEDULED, actor=None)
        for link in ModelRegistryLink.objects.filter(active=True).order_by("pk")
    ]


@audited_write
def _sync_claim(sync_id: int) -> RegistrySync | None:
    sync = (
        RegistrySync.objects.select_for_update(no_key=True, of=("self",))
        .select_related("link", "link__system", "link__linked_by", "requested_by")
        .filter(pk=sync_id)
        .first()
    )
    if sync is None or sync.status not in REGISTRY_SYNC_PENDING:
        return None
    sync.status = RegistrySyncStatus.RUNNING
    sync.tries += 1
    sync.started_at = sync.started_at or timezone.now()
    return model_save(sync, actor=None, validate=False)


def registry_sync_run(sync_id: int, *, final_try: bool | None = None) -> str | None:
    """Run one queued sync. Safe to call twice: a finished sync is left as it is.

    Returns the sync's status: ``retrying`` when the registry did not answer and another try
    is due (the task schedules it), ``failed`` when it never will.
    """
    sync = _sync_claim(sync_id)
    if sync is None:
        return RegistrySync.objects.filter(pk=sync_id).values_list("status", flat=True).first()
    if final_try is None:
        final_try = sync.tries >= SYNC_MAX_TRIES
    link = sync.link
    try:
        model = client_for(link).registered_model(link.model_name)
    except RegistryError as exc:
        logger.warning("registry sync %s try %s failed: %s", sync_id, sync.tries, exc)
        return _sync_failed(sync, exc, retry=exc.retryable and not final_try).status
    return _sync_apply(sync, model).status


@audited_write
def _sync_failed(sync: RegistrySync, exc: RegistryError, *, retry: bool) -> RegistrySync:
    sync.status = RegistrySyncStatus.RETRYING if retry else RegistrySyncStatus.FAILED
    sync.error_message = str(exc)
    if not retry:
        sync.finished_at = timezone.now()
    model_save(sync, actor=None, validate=False)
    link = sync.link
    link.last_sync_summary = (
        _("Try %(n)s failed, retrying: %(error)s")
        if retry
        else _("Failed after %(n)s tries: %(error)s")
    ) % {"n": sync.tries, "error": str(exc)[:200]}
    model_save(link, actor=None, validate=False)
    return sync


def _version_fields(link, entry, aliases) -> dict:
    return {
        "run_id": entry.run_id[:100],
        "artifact_reference": entry.source[:500],
        "aliases": sorted(a for a, v in aliases.items() if v == entry.version),
        "tags": entry.tags,
        "registered_at": entry.created_at,
        "description": entry.description,
    }


@audited_write
def _sync_apply(sync: RegistrySync, model: RegisteredModel) -> RegistrySync:
    """Everything the sync read, in one transaction."""
    link = ModelRegistryLink.objects.select_for_update(no_key=True).get(pk=sync.link_id)
    system = link.system
    actor = sync.requested_by or link.linked_by
    known = {
        v.registry_version: v for v in system.model_versions.exclude(registry_version="").all()
    }
    by_label = {v.version_label: v for v in system.model_versions.filter(registry_version="")}
    added = updated = 0
    for entry in model.versions:
        fields = _version_fields(link, entry, model.aliases)
        version = known.get(entry.version)
        label = f"{link.model_name} v{entry.version}"
        if version is None and label in by_label:
            version = by_label[label]  # recorded by hand before the link: adopt it
            fields["registry_version"] = entry.version
        if version is None:
            version = ModelVersion(
                system=system, version_label=label, registry_version=entry.version, **fields
            )
            model_save(version, actor=actor, lookups=False)
            added += 1
        elif any(getattr(version, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(version, k, v)
            model_save(version, actor=actor, lookups=False)
            updated += 1
        known[entry.version] = version
    for number, version in known.items():  # deleted from the registry: kept, without aliases
        if version.aliases and number not in {e.version for e in model.versions}:
            version.aliases = []
            model_save(version, actor=actor, lookups=False)
            updated += 1
    moves = 0
    for alias, environment in (
        (link.production_alias, Environment.PRODUCTION),
        (link.staging_alias, Environment.STAGING),
    ):
        target = known.get(model.aliases.get(alias, "")) if alias else None
        if target is not None and _record_alias_move(
            link=link, alias=alias, environment=environment, target=target, actor=actor
        ):
            moves += 1
    now = timezone.now()
    sync.status = RegistrySyncStatus.SUCCEEDED
    sync.versions_added, sync.versions_updated, sync.alias_moves = added, updated, moves
    sync.error_message = ""
    sync.finished_at = now
    model_save(sync, actor=None, validate=False)
    link.last_synced_at = now
    link.last_sync_summary = _(
        "%(versions)s versions in the registry; %(added)s added, %(updated)s updated, "
        "%(moves)s alias moves recorded."
    ) % {"versions": len(model.versions), "added": added, "updated": updated, "moves": moves}
    model_save(link, actor=None, validate=False)
    return sync


def _in_environment(system, environment) -> Deployment | None:
    return (
        Deployment.objects.select_related("model_version")
        .filter(system=system, environment=environment)
        .order_by("-deployed_at", "-id")
        .first()
    )


def _record_alias_move(*, link, alias, environment, target, actor) -> Deployment | None:
    """A deployment when the change log does not already show ``target`` in ``environment``:
    deploy when it is newer than what the log shows, rollback when older."""
    current = _in_environment(link.system, environment)
    if current is not None and current.model_version_id == target.pk:
        return None
    older = (
        current is not None
        and current.model_version.registry_version
        and registry_version_order(target.registry_version)
        < registry_version_order(current.model_version.registry_version)
    )
    return _deployment_save(
        version=target,
        environment=environment,
        change_type=ChangeType.ROLLBACK if older else ChangeType.DEPLOY,
        actor=actor,
        notes=_(
            "Observed by the registry sync: MLflow alias @%(alias)s of %(model)s points at "
            "version %(version)s. MLflow does not record when an alias moved; this entry is "
            "stamped when the sync saw it."
        )
        % {"alias": alias, "model": link.model_name, "version": target.registry_version},
        link=link,
    )


def _deployment_save(*, version, environment, change_type, actor, notes, link) -> Deployment:
    deployment = model_save(
        Deployment(
            system=version.system,
            model_version=version,
            environment=environment,
            deployed_at=timezone.now(),
            deployed_by=actor,
            change_type=change_type,
            change_reference=mlflow_change_reference(link.model_name, version.registry_version),
            notes=notes,
        ),
        actor=actor,
        lookups=False,
    )
    hooks.deployment_recorded(deployment=deployment, actor=actor)
    return deployment


# The containment rollback (the incident register calls these; it checks who may contain).


def registry_rollback_target(version: ModelVersion) -> ModelRegistryLink | None:
    """The active link through which ``version`` can be put back in production, if any."""
    if not version.registry_version:
        return None
    return ModelRegistryLink.objects.filter(system_id=version.system_id, active=True).first()


def production_version(system: AISystem) -> ModelVersion | None:
    current = _in_environment(system, Environment.PRODUCTION)
    return current.model_version if current else None


def registry_alias_move(*, link: ModelRegistryLink, version: ModelVersion) -> None:
    """Point the production alias at ``version`` and read it back. Network only, no writes:
    raises a ``RegistryError`` (``RegistryAliasMismatch`` when it reads back otherwise)."""
    client = client_for(link)
    client.set_alias(link.model_name, link.production_alias, version.registry_version)
    now_at = client.version_by_alias(link.model_name, link.production_alias)
    if now_at != version.registry_version:
        raise RegistryAliasMismatch(
            _("The alias @%(alias)s reads back as version %(now)s, not %(wanted)s.")
            % {
                "alias": link.production_alias,
                "now": now_at or "none",
                "wanted": version.registry_version,
            }
        )


def registry_rollback_deployment_record(
    *, actor, link: ModelRegistryLink, version: ModelVersion, notes: str
) -> Deployment:
    """The rollback deployment after the alias read back as ``version``. Called inside the
    caller's transaction, which has checked the right to contain and the change-log guards."""
    return _deployment_save(
        version=version,
        environment=Environment.PRODUCTION,
        change_type=ChangeType.ROLLBACK,
        actor=actor,
        notes=notes,
        link=link,
    )
