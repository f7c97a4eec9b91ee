"""Celery tasks of the incident register: thin wrappers over ``services``."""

from celery import shared_task

from .choices import RegistryRollbackStatus
from .services import registry_rollback

RETRY_COUNTDOWNS = (30, 120)  # seconds before the second and the third try


@shared_task(bind=True, acks_late=True, max_retries=registry_rollback.ROLLBACK_MAX_TRIES - 1)
def move_registry_alias(self, rollback_id: int) -> str | None:
    """Containment option A in MLflow: move the alias, read it back, record the rollback."""
    status = registry_rollback.registry_rollback_execute(
        rollback_id, final_try=self.request.retries >= self.max_retries
    )
    if status == RegistryRollbackStatus.REQUESTED:
        raise self.retry(countdown=RETRY_COUNTDOWNS[min(self.request.retries, 1)])
    return status
