"""Celery tasks of the inventory: thin wrappers over ``services``."""

from celery import shared_task

from .choices import RegistrySyncStatus
from .services import registry


@shared_task(bind=True, acks_late=True, max_retries=registry.SYNC_MAX_TRIES - 1)
def run_registry_sync(self, sync_id: int) -> str | None:
    """One sync; a registry that did not answer is tried again with back-off."""
    status = registry.registry_sync_run(sync_id, final_try=self.request.retries >= self.max_retries)
    if status == RegistrySyncStatus.RETRYING:
        raise self.retry(countdown=registry.retry_countdown(self.request.retries + 1))
    return status


@shared_task
def schedule_registry_syncs() -> int:
    """The periodic sync (``aims.schedules``): one queued sync per active registry link."""
    return len(registry.registry_syncs_schedule())
