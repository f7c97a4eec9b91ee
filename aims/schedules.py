"""Every periodic task of the product, in one place (read by ``CELERY_BEAT_SCHEDULE``)."""

import os

from celery.schedules import crontab

# How often the clocks tick, in seconds (tests of the real beat shorten it).
TICK_SECONDS = float(os.environ.get("CLOCK_TICK_SECONDS", "60"))

BEAT_SCHEDULE = {
    "clocks-tick": {"task": "aims.clocks.tasks.tick", "schedule": TICK_SECONDS},
    "notify-deliver-due": {"task": "aims.notify.tasks.deliver_due", "schedule": TICK_SECONDS},
    "reporting-sweep-queued": {"task": "reporting.tasks.sweep_queued", "schedule": 120.0},
    "inventory-registry-sync": {
        "task": "inventory.tasks.schedule_registry_syncs",
        "schedule": 15 * 60.0,
    },
    "audit-chain-verify-nightly": {
        "task": "aims.audit.tasks.verify_audit_chain",
        "schedule": crontab(hour=2, minute=15),
    },
}
