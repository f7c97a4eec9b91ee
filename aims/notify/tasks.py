"""Celery tasks of the notification channels: thin wrappers over ``services``."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def process_attempt(attempt_id: int) -> str | None:
    return services.attempt_process(attempt_id)


@shared_task
def deliver_due() -> int:
    """Picks up what the broker could not carry: pending, retry-due and abandoned attempts."""
    ids = services.due_attempt_ids()
    services.queue_attempts(ids)
    return len(ids)
