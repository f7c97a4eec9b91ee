"""The Celery application. Periodic schedules live in ``aims.schedules``."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings.local")

app = Celery("aims")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


_source_tokens = {}


@task_prerun.connect
def _mark_task_source(task_id=None, **kwargs):
    """History written by a task says it came from a task."""
    from aims.audit.context import set_source

    _source_tokens[task_id] = set_source("task")


@task_postrun.connect
def _clear_task_source(task_id=None, **kwargs):
    from aims.audit.context import reset_source

    token = _source_tokens.pop(task_id, None)
    if token is not None:
        reset_source(token)
