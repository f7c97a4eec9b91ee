"""Handing a record's work to a Celery worker without ever losing it.

Work is queued by id after the write that made it has committed; the record itself (a pending
attempt, a queued run, a requested rollback) stays in the database in the state that says the
work is still to do. So a broker that is down costs nothing but time: the request does not wait
or fail (kombu's own retries are off), and the next sweep — or a person's retry — finds it.
"""

import logging

logger = logging.getLogger(__name__)


def hand_to_worker(task, record_id: int, *, what: str, **options) -> bool:
    """Queue ``task(record_id)``; False (and a warning naming ``what``) when the broker is down."""
    try:
        task.apply_async(args=[record_id], retry=False, **options)
    except Exception as exc:  # noqa: BLE001 - kombu raises several types when the broker is down
        logger.warning("broker unavailable; %s %s stays to do: %s", what, record_id, exc)
        return False
    return True
