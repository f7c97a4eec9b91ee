"""``manage.py purge_expired``: delete the records past their retention period and not under a
legal hold (``risk.services.retention_purge``). Dry run by default: it lists what would go;
``--execute`` deletes, leaving a tombstone for each record."""

from django.core.management.base import BaseCommand

from risk.services import retention_purge


class Command(BaseCommand):
    help = "List (or with --execute delete) records past retention and not on legal hold."

    def add_arguments(self, parser):
        parser.add_argument(
            "--execute", action="store_true", help="Delete; without it nothing is deleted."
        )

    def handle(self, *args, execute=False, **options):
        result = retention_purge(execute=execute)
        for candidate in result.candidates:
            evidence = candidate.evidence
            self.stdout.write(
                f"{'purge' if execute else 'would purge'}: {evidence.incident.reference} "
                f"evidence #{evidence.pk} {evidence.original_name} sha256={evidence.sha256} "
                f"(rule {candidate.rule.record_type}, expired {candidate.expired_at:%Y-%m-%d})"
            )
        for label, why in result.kept:
            self.stdout.write(f"kept: {label}: {why}")
        if execute:
            self.stdout.write(
                self.style.SUCCESS(f"{result.run}: {len(result.purged)} record(s) purged.")
            )
        else:
            self.stdout.write(
                f"Dry run: {len(result.candidates)} record(s) past retention; nothing deleted "
                "(use --execute)."
            )
