"""``manage.py export_audit_sample``: draw an audit sample and write its ZIP bundle.

The same request and the same builder as the Reports page and ``POST /api/v1/audit-samples/``,
built inline (or by the worker that took the queued run first): the run is recorded with its SHA-256 (so the file can be checked later), its stored copy
is re-verified and written to ``--out``, and the SHA-256 is printed. Exit status 1 when the
sample cannot be built (an evidence file failed its integrity check, for instance).

    manage.py export_audit_sample --auditor alice --size 5 --seed 20260331 \\
        --from 2026-01-01 --to 2026-03-31 --severity 0 --severity 1 --out sample.zip
"""

import hashlib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from aims.core.exceptions import ApplicationError
from incidents.choices import Kind, Severity, Status
from inventory.models import AISystem
from reporting.builders.sample import SAMPLE_TIME_LIMIT_S
from reporting.choices import ACTIVE_RUN_STATUSES, RunStatus
from reporting.filters import MAX_SAMPLE_SIZE
from reporting.services import CHUNK, audit_sample_request, report_execute, report_open, report_wait


class Command(BaseCommand):
    help = "Draw a reproducible audit sample as an auditor and write its ZIP bundle."

    def add_arguments(self, parser):
        parser.add_argument("--auditor", required=True, help="Username of the auditor drawing it.")
        parser.add_argument(
            "--size", required=True, type=int, help=f"Incidents to draw (1 to {MAX_SAMPLE_SIZE})."
        )
        parser.add_argument(
            "--seed", type=int, help="Random seed (default: a new one, printed and recorded)."
        )
        parser.add_argument(
            "--from", dest="detected_after", help="Detected on or after (ISO 8601)."
        )
        parser.add_argument(
            "--to", dest="detected_before", help="Detected on or before (ISO 8601)."
        )
        parser.add_argument(
            "--severity",
            action="append",
            type=int,
            choices=Severity.values,
            default=[],
            help="Severity (0 = P0 … 3 = P3); repeat for several.",
        )
        parser.add_argument("--kind", choices=Kind.values)
        parser.add_argument("--system", help="Reference of an affected AI system (AIS-0007).")
        parser.add_argument(
            "--status",
            action="append",
            choices=Status.values,
            default=[],
            help="Status; repeat for several.",
        )
        parser.add_argument("--out", required=True, help="Where to write the ZIP.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["auditor"]).first()
        if user is None:
            raise CommandError(f"No user named {options['auditor']!r}.")
        data = {
            "size": options["size"],
            "seed": options["seed"],
            "severity": options["severity"],
            "status": options["status"],
            "kind": options["kind"] or "",
        }
        for name in ("detected_after", "detected_before"):
            if options[name]:
                data[name] = options[name]
        if options["system"]:
            system = AISystem.objects.filter(reference=options["system"]).first()
            if system is None:
                raise CommandError(f"No AI system with reference {options['system']!r}.")
            data["system"] = system.pk

        try:
            run = audit_sample_request(actor=user, data=data)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        params = run.params
        self.stdout.write(
            f"Audit sample (report run #{run.pk}): {len(params['drawn'])} of "
            f"{params['population_size']} incidents, seed {params['seed']}: "
            f"{', '.join(params['drawn'])}"
        )
        run = report_execute(run.pk)
        if run.status in ACTIVE_RUN_STATUSES:  # a worker took it first: wait for that one
            run = report_wait(run, timeout_s=SAMPLE_TIME_LIMIT_S)
        if run.status != RunStatus.DONE:
            raise CommandError(run.message or f"The sample was not built ({run.status}).")

        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with report_open(actor=user, run=run) as source, out.open("wb") as target:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != run.sha256:  # the stored copy changed while it was copied
            out.unlink(missing_ok=True)
            raise CommandError("The written file does not match the SHA-256 recorded for the run.")
        self.stdout.write(f"SHA-256: {run.sha256}  {out}")
