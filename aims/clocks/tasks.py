"""The beat tick of every clock."""

from celery import shared_task

from . import services


@shared_task
def tick() -> dict:
    result = services.tick_and_queue()
    return {
        "reminders": result.reminders,
        "escalations": result.escalations,
        "breached": result.breached,
    }
