"""Celery tasks of the notification channels: thin wrappers over ``services``."""

from celery import shared_task

from . import paging, services


@shared_task(acks_late=True)
def process_attempt(attempt_id: int) -> str | None:
    return services.attempt_process(attempt_id)


@shared_task(acks_late=True)
def process_page_event(event_id: int) -> str | None:
    return paging.page_event_process(event_id)


@shared_task
def deliver_due() -> int:
    """Picks up what the broker could not carry: pending, retry-due and abandoned attempts and
    page events (a page event only when it is first in line for its key)."""
    ids = services.due_attempt_ids()
    services.queue_attempts(ids)
    page_ids = paging.due_page_ids()
    paging.queue_pages(page_ids)
    return len(ids) + len(page_ids)
