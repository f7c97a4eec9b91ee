"""``manage.py verify_stored_files``: re-hash every stored evidence file, generated document
and uploaded list of affected individuals.

Each evidence file and each finished report run recorded a SHA-256 when it was stored. This
command reads every file back and compares; it exits 1 when any file is missing or differs, and
names each one. Run it after restoring a backup (``scripts/restore.sh`` does), or any time the
storage is in doubt. It only reads: nothing is written, not even a custody entry (it is a check
of the store, not an access to the evidence by a person).
"""

import hashlib
import sys

from django.core.management.base import BaseCommand

from disclosure.models import IndividualsUpload
from incidents.models import Evidence
from reporting.choices import RunStatus
from reporting.models import ReportRun

CHUNK = 1024 * 1024


def _sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check(label: str, field_file, expected: str) -> str | None:
    """A problem description, or None when the file is there and matches."""
    if not field_file:
        return f"{label}: no file recorded"
    try:
        actual = _sha256(field_file)
    except FileNotFoundError:
        return f"{label}: file missing ({field_file.name})"
    except OSError as exc:
        return f"{label}: cannot be read ({field_file.name}): {exc}"
    if actual != expected:
        return f"{label}: SHA-256 differs ({field_file.name}: {actual[:16]}…, recorded {expected[:16]}…)"
    return None


class Command(BaseCommand):
    help = "Re-hash every evidence file and generated document against its recorded SHA-256."

    def handle(self, *args, **options):
        problems, evidence_ok, reports_ok = [], 0, 0
        evidence = Evidence.objects.select_related("incident").order_by("pk")
        for item in evidence.iterator(chunk_size=500):
            problem = _check(
                f"evidence #{item.pk} of {item.incident.reference}", item.file, item.sha256
            )
            if problem:
                problems.append(problem)
            else:
                evidence_ok += 1
        runs = ReportRun.objects.filter(status=RunStatus.DONE).order_by("pk")
        for run in runs.iterator(chunk_size=500):
            problem = _check(f"report run #{run.pk} ({run.kind})", run.file, run.sha256)
            if problem:
                problems.append(problem)
            else:
                reports_ok += 1
        lists_ok = 0
        lists = IndividualsUpload.objects.select_related("incident").order_by("pk")
        for upload in lists.iterator(chunk_size=500):
            problem = _check(
                f"list of affected individuals #{upload.pk} of {upload.incident.reference}",
                upload.file,
                upload.sha256,
            )
            if problem:
                problems.append(problem)
            else:
                lists_ok += 1
        for problem in problems:
            self.stderr.write(problem)
        summary = (
            f"{evidence_ok} evidence files and {reports_ok} generated documents intact"
            f"{f'; {len(problems)} problems' if problems else ''}."
        )
        if problems:
            self.stderr.write(summary)
            sys.exit(1)
        self.stdout.write(summary)
        if lists_ok:
            self.stdout.write(f"{lists_ok} lists of affected individuals intact.")
