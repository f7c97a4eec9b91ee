"""``manage.py run_clocks [--now ISO]``: one clock tick, delivered in this process."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from aims.clocks.services import clocks_tick
from aims.notify.services import deliver_due


class Command(BaseCommand):
    help = "Run one tick of every clock (reminders and escalations) and deliver what it owes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Run as of this instant (ISO 8601 with a timezone), for operations and tests.",
        )

    def handle(self, *args, **options):
        now = None
        if options["now"]:
            now = parse_datetime(options["now"])
            if now is None or now.tzinfo is None:
                raise CommandError(
                    "--now takes ISO 8601 with a timezone, e.g. 2026-11-23T09:00:00Z."
                )
        result = clocks_tick(now=now)
        attempts = deliver_due(now=now)
        self.stdout.write(
            f"Sent {result.reminders} reminders and {result.escalations} escalations "
            f"({result.breached} clocks newly breached, {attempts} channel deliveries processed)."
        )
