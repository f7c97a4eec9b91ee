"""Scheduled verification of the audit chain."""

import logging

from celery import shared_task

from .chain import verify_and_record

logger = logging.getLogger(__name__)


@shared_task
def verify_audit_chain() -> dict:
    report = verify_and_record()
    if report.intact:
        logger.info("audit chain intact: %s records", report.checked)
    else:
        logger.error("audit chain broken: %s at %s", report.problem, report.broken_record)
    return report.as_dict()
