"""Every periodic task of the product, in one place (read by ``CELERY_BEAT_SCHEDULE``)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "clocks-tick": {"task": "aims.clocks.tasks.tick", "schedule": 60.0},
    "notify-deliver-due": {"task": "aims.notify.tasks.deliver_due", "schedule": 60.0},
    "audit-chain-verify-nightly": {
        "task": "aims.audit.tasks.verify_audit_chain",
        "schedule": crontab(hour=2, minute=15),
    },
}
