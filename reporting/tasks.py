"""Celery tasks of reporting: thin wrappers over ``services``."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services
from .choices import RunStatus
from .models import ReportRun


@shared_task(acks_late=True)
def execute_report(run_id: int) -> str:
    return services.report_execute(run_id).status


@shared_task
def sweep_queued() -> int:
    """Runs left queued (broker down when they were requested) are started now."""
    stale = ReportRun.objects.filter(
        status=RunStatus.QUEUED, requested_at__lt=timezone.now() - timedelta(minutes=2)
    )
    ids = list(stale.values_list("id", flat=True)[:50])
    for run_id in ids:
        execute_report.apply_async(args=[run_id], retry=False)
    return len(ids)
