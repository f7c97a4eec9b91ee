"""``manage.py verify_audit_chain``: exit 0 when the audit chain is intact, 1 when not."""

import sys

from django.core.management.base import BaseCommand

from aims.audit.chain import verify_and_record


class Command(BaseCommand):
    help = "Recompute the hash chain over every audit history record and report the first break."

    def handle(self, *args, **options):
        report = verify_and_record()
        if report.intact:
            self.stdout.write(
                f"Audit chain intact: {report.checked} records checked; "
                f"head {report.head_hash[:16]}… (seq {report.head_seq})."
            )
            return
        self.stderr.write(
            f"Audit chain BROKEN after {report.checked} intact records: {report.problem}. "
            f"First broken record: {report.broken_record}."
        )
        sys.exit(1)
