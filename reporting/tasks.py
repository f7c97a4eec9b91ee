"""Celery tasks of reporting: thin wrappers over ``services``.

Every run executes in ``execute_report`` under its kind's time limits (``reporting.registry``):
the soft limit interrupts the builder and fails the run with a message, the hard limit kills the
worker process; the run's lease then lets ``sweep_queued`` give it to another worker.
"""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from aims.core.queueing import hand_to_worker

from . import selectors, services
from .registry import builder_for

QUEUED_GRACE = timedelta(minutes=2)  # a queued run older than this was never handed to a worker
# The task's own ceiling, for a message sent without per-kind limits.
DEFAULT_SOFT_TIME_LIMIT_S = 60 * 60


@shared_task(
    acks_late=True,
    soft_time_limit=DEFAULT_SOFT_TIME_LIMIT_S,
    time_limit=DEFAULT_SOFT_TIME_LIMIT_S + 30,
)
def execute_report(run_id: int) -> str:
    return services.report_execute(run_id).status


def dispatch(run_id: int, kind: str) -> bool:
    """Send one run to a worker with its kind's time limits. False when the broker is down (the
    run stays as it is and the sweep sends it again)."""
    entry = builder_for(kind)
    limits = (
        {"soft_time_limit": entry.soft_time_limit, "time_limit": entry.time_limit} if entry else {}
    )
    return hand_to_worker(execute_report, run_id, what="report run", **limits)


@shared_task
def sweep_queued() -> int:
    """Runs never handed to a worker (the broker was down when they were requested) and runs
    whose worker died (running, lease expired) are sent to a worker again."""
    resumed = 0
    for run_id, kind in selectors.runs_to_resume(now=timezone.now(), queued_for=QUEUED_GRACE):
        resumed += dispatch(run_id, kind)
    return resumed
