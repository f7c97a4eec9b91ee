"""``manage.py check_consistency``: every gap of the inventory's evidence trails.

The same checks as the consistency-check page and ``GET /api/v1/consistency/``
(``risk.trail``): a production version never approved, a deployment without a change
reference, a rollback without an incident, a threshold changed without naming its incident, a
closed incident after which the system's entry was not updated, an overdue CAPA, a risk past its
review, a system in production with no risk, and what other modules register. Prints one line
per gap (or JSON with ``--json``); exit status 1 when there is any gap, 0 when there is none —
so a nightly job or CI can fail on it.

    manage.py check_consistency [--kind CODE ...] [--system AIS-0007] [--as USERNAME] [--json]

Without ``--as`` the whole inventory is checked (every record, restricted incidents included);
with it, what that person may see.
"""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.models import AISystem
from risk import permissions, trail


class Command(BaseCommand):
    help = "List every gap of the AI systems' evidence trails; exit status 1 when there is any."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            help="Gap code to list (repeat for several); default every kind.",
        )
        parser.add_argument("--system", help="Reference of one AI system (AIS-0007).")
        parser.add_argument("--as", dest="username", help="Check what this user may see.")
        parser.add_argument("--json", action="store_true", help="Print the gaps as JSON.")

    def handle(self, *args, **options):
        known = {code for code, _label in trail.gap_kinds()}
        unknown = sorted(set(options["kind"]) - known)
        if unknown:
            raise CommandError(
                f"Unknown gap kind {', '.join(unknown)}; choose from {', '.join(sorted(known))}."
            )
        user = self._user(options["username"])
        system_id = None
        if options["system"]:
            system = AISystem.objects.filter(reference=options["system"].upper()).first()
            if system is None:
                raise CommandError(f"No AI system {options['system']}.")
            system_id = system.pk
        result = trail.consistency_check(user, codes=options["kind"] or None, system_id=system_id)
        gaps = result["gaps"]
        if options["json"]:
            payload = {
                "systems_checked": result["systems"],
                "counts": result["counts"],
                "gaps": [g.as_dict() for g in gaps],
            }
            self.stdout.write(json.dumps(payload, indent=2, default=str))
        else:
            for gap in gaps:
                self.stdout.write(
                    f"{gap.system_reference or '-'}\t{gap.code}\t{gap.subject}\t{gap.message}"
                )
            summary = f"{len(gaps)} gap(s) in {result['systems']} system(s) checked."
            self.stdout.write(summary if gaps else f"No gaps in {result['systems']} system(s).")
        if gaps:
            raise SystemExit(1)

    def _user(self, username):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username}.")
            if not permissions.can_read_trail(user):
                raise CommandError(f"{username} may not read evidence trails.")
            return user
        # The whole inventory: an unsaved superuser reads every record and writes nothing.
        return User(username="check_consistency", is_superuser=True, is_active=True)
