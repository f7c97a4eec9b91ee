"""The audit sample bundle: a reproducible random draw from the register, with its evidence.

Auditors "sample real incidents or near misses to verify that the process works in practice".
A sample is only worth something if anyone can repeat the draw and check that nothing in the
bundle was changed. So:

The population and the draw are read when the sample is requested
(``reporting.services.audit_sample_request``, ``reporting.selectors.sample_draw``,
``reporting.rules.draw_ids``); this module builds the bundle.

**Population.** The incidents the auditor can see (``incidents_visible_to``) that match the
filters — detection period (``detected_after`` / ``detected_before``, both inclusive), severity
(any of), kind, affected system and status (any of) — ordered by id. Its identity is recorded as
its size and ``population_sha256``: the SHA-256 of its ids in ascending order, joined with commas
(``"3,7,12"``).

**Draw.** ``random.Random(seed).sample(population_ids, k)`` with ``k = min(size, population)``,
then sorted by reference for reading. The same seed over the same population gives the same
sample (on the same Python version, which the manifest records: the standard library guarantees
the generator's sequence for a seed, not ``sample``'s algorithm across versions). When no seed is
given one is generated and recorded, so every draw can be repeated. The draw happens when the
sample is requested and is kept in the run's parameters: the bundle built later contains exactly
what the auditor was shown, and says whether the population has changed since.

**Bundle.** A ZIP with, per sampled incident, ``<REF>/case-file.pdf`` and
``<REF>/evidence/<file name>``, plus ``manifest.json``: the index of the sampled incidents with each one's CAPAs, the sampling
parameters, who generated it
and when, the result of verifying the audit chain at the start of the bundle, and every file with
its size and SHA-256 (evidence also with the SHA-256 recorded when it was preserved, and whether
they match). Each evidence file is re-verified as it is bundled (``evidence_open``, which logs the
custody entry); one that no longer matches its recorded hash fails the whole sample, loudly, with
a message naming it. The manifest does not list itself: the ZIP's own SHA-256 is recorded with
the report run.

Memory stays bounded: evidence is streamed into the ZIP in chunks and one case-file PDF is held
at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import tempfile
import zipfile
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.audit.chain import verify_and_record
from aims.core.exceptions import ApplicationError, PermissionRefused
from capa.selectors import capas_by_incident
from incidents.choices import CustodyAction
from incidents.models import Evidence, Incident
from incidents.services import evidence_open
from incidents.services.evidence import EvidenceIntegrityFailed

from .. import rules, selectors
from ..choices import ReportKind
from ..models import ReportRun
from ..registry import BuiltFile, Progress, builder
from .casefile import render_case_file

CHUNK = 1024 * 1024
ZIP64_FROM = 1 << 30  # evidence larger than this is written with ZIP64 headers
MANIFEST_FORMAT = "aims-register/audit-sample/1"
METHOD = (
    "random.Random(seed).sample(population ids in ascending order, k = min(size, population "
    "size)); the drawn incidents are listed by reference"
)
# About a second per case file plus the evidence copied: 500 incidents fit with room to spare.
SAMPLE_TIME_LIMIT_S = 60 * 60


class SampleIntegrityFailed(ApplicationError):
    code = "audit_sample_integrity_failed"
    status_code = 409
    default_message = _("An evidence file of the sample failed its integrity check.")


# --- the bundle -------------------------------------------------------------------------------


def _zip_info(path: str, when: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=timezone.localtime(when).timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _entry_name(evidence: Evidence, used: set[str]) -> str:
    """The evidence's file name inside the ZIP: safe characters only, unique per incident."""
    base = os.path.basename((evidence.original_name or "").replace("\\", "/"))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or f"evidence-{evidence.pk}"
    while name in used:
        name = f"{evidence.pk}-{name}"
    used.add(name)
    return name


def _sha256_on_disk(evidence: Evidence) -> str | None:
    """What the stored file hashes to now (for the failure report); None if it is unreadable."""
    try:
        with evidence.file.open("rb") as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None


def _write_case_file(bundle, path, *, incident, actor, when, run_id) -> dict:
    pdf = render_case_file(incident=incident, actor=actor, generated_at=when, run_id=run_id)
    bundle.writestr(_zip_info(path, when), pdf)
    entry = {
        "path": path,
        "kind": "case_file",
        "incident": incident.reference,
        "size": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
    }
    return entry


def _evidence_failure(path, incident, evidence, problem, found=None) -> dict:
    return {
        "path": path,
        "incident": incident.reference,
        "evidence_id": evidence.pk,
        "file_name": evidence.original_name,
        "recorded_sha256": evidence.sha256,
        "found_sha256": found,
        "problem": problem,
    }


def _write_evidence(
    bundle, path, *, incident, evidence, actor, when
) -> tuple[dict | None, dict | None]:
    """Stream one evidence file into the ZIP. Returns (file entry, failure)."""
    try:
        source = evidence_open(actor=actor, evidence=evidence, action=CustodyAction.BUNDLED)
    except EvidenceIntegrityFailed:
        return None, _evidence_failure(
            path,
            incident,
            evidence,
            _("the stored file no longer matches the SHA-256 recorded when it was preserved"),
            found=_sha256_on_disk(evidence),
        )
    except OSError:
        return None, _evidence_failure(path, incident, evidence, _("the stored file is missing"))
    digest, size = hashlib.sha256(), 0
    with (
        source,
        bundle.open(_zip_info(path, when), "w", force_zip64=evidence.size > ZIP64_FROM) as target,
    ):
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    sha256 = digest.hexdigest()
    matched = sha256 == evidence.sha256
    entry = {
        "path": path,
        "kind": "evidence",
        "incident": incident.reference,
        "size": size,
        "sha256": sha256,
        "evidence_id": evidence.pk,
        "file_name": evidence.original_name,
        "evidence_kind": evidence.kind,
        "recorded_sha256": evidence.sha256,
        "matched": matched,
    }
    failure = None
    if not matched:  # changed between the check and the copy
        failure = _evidence_failure(
            path,
            incident,
            evidence,
            _("the file changed while it was being bundled"),
            found=sha256,
        )
    return entry, failure


def _sampled_incidents(actor, params: dict) -> list[Incident]:
    """The drawn incidents, in reference order, re-checked against what ``actor`` sees now."""
    ids = params.get("incident_ids") or []
    found = selectors.sampled_incidents(actor, ids)
    missing = [
        ref for pk, ref in zip(ids, params.get("drawn") or [], strict=False) if pk not in found
    ]
    if missing or len(found) != len(ids):
        raise PermissionRefused(
            _("These sampled incidents are no longer visible to you: %s. Draw the sample again.")
            % ", ".join(missing or ["?"])
        )
    return sorted(found.values(), key=lambda i: i.reference)


def _user_label(user) -> dict:
    return {
        "username": user.get_username(),
        "name": user.get_full_name(),
        "roles": sorted(user.role_names),
    }


def bundle_write(*, run: ReportRun, path: str, progress: Progress | None = None) -> dict:
    """Write the sample's ZIP at ``path`` and return its manifest.

    Integrity failures do not stop the bundle: every evidence file is checked, and each failure
    is listed under ``failures`` (the builder then fails the run, naming them).
    """
    progress = progress or (lambda done, total: None)
    actor, params = run.requested_by, run.params
    generated_at = timezone.now()
    chain = verify_and_record()
    incidents = _sampled_incidents(actor, params)
    now_ids = list(
        selectors.sample_population(actor, params.get("filters") or {}).values_list("id", flat=True)
    )
    now_sha256 = rules.population_sha256(now_ids)
    files, failures = [], []
    total = len(incidents)
    progress(0, total)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as bundle:
        for done, incident in enumerate(incidents, start=1):
            ref = incident.reference
            files.append(
                _write_case_file(
                    bundle,
                    f"{ref}/case-file.pdf",
                    incident=incident,
                    actor=actor,
                    when=generated_at,
                    run_id=run.pk,
                )
            )
            used: set[str] = set()
            for evidence in Evidence.objects.filter(incident=incident).order_by(
                "captured_at", "id"
            ):
                entry_path = f"{ref}/evidence/{_entry_name(evidence, used)}"
                entry, failure = _write_evidence(
                    bundle,
                    entry_path,
                    incident=incident,
                    evidence=evidence,
                    actor=actor,
                    when=generated_at,
                )
                if entry:
                    files.append(entry)
                if failure:
                    failures.append(failure)
            progress(done, total)
        capas = capas_by_incident([incident.pk for incident in incidents])
        manifest = {
            "format": MANIFEST_FORMAT,
            "report_run": run.pk,
            "generated_at": generated_at.isoformat(),
            "generated_by": _user_label(actor),
            "sampling": {
                "filters": params.get("filters") or {},
                "size": params.get("size"),
                "seed": params.get("seed"),
                "seed_generated": params.get("seed_generated", False),
                "method": METHOD,
                "python": platform.python_version(),
                "population_size": params.get("population_size"),
                "population_sha256": params.get("population_sha256"),
                "population_sha256_of": "incident ids in ascending order, joined with commas",
                "drawn": params.get("drawn") or [],
                "population_when_bundled": {
                    "size": len(now_ids),
                    "sha256": now_sha256,
                    "unchanged": now_sha256 == params.get("population_sha256"),
                },
            },
            "audit_chain": {
                "verified_at": generated_at.isoformat(),
                "checked": chain.checked,
                "intact": chain.intact,
                "head_seq": chain.head_seq,
                "head_hash": chain.head_hash,
                "problem": chain.problem,
                "broken_record": chain.broken_record,
            },
            # The index of the sampled incidents: each with its CAPAs (the case file has them
            # in full), so the auditor sees at a glance what was done about each.
            "incidents": [
                {"reference": incident.reference, "capas": capas[incident.pk]}
                for incident in incidents
            ],
            "files": files,
            "failures": failures,
            "note": (
                "manifest.json does not list itself; the SHA-256 of the whole ZIP is recorded "
                f"with report run #{run.pk}."
            ),
        }
        bundle.writestr(
            _zip_info("manifest.json", generated_at),
            json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8"),
        )
    return manifest


def _failure_message(failures: list[dict]) -> str:
    items = "; ".join(
        _("%(ref)s: %(name)s (evidence #%(id)s, %(path)s) — %(problem)s (recorded SHA-256 %(sha)s)")
        % {
            "ref": f["incident"],
            "name": f["file_name"],
            "id": f["evidence_id"],
            "path": f["path"],
            "problem": f["problem"],
            "sha": f["recorded_sha256"],
        }
        for f in failures
    )
    return _(
        "The audit sample was not built: %(count)s evidence file(s) failed the integrity check. "
        "%(items)s. Each failed check is in the file's chain of custody; ask GRC to investigate "
        "before drawing the sample again."
    ) % {"count": len(failures), "items": items}


@builder(ReportKind.AUDIT_SAMPLE, soft_time_limit=SAMPLE_TIME_LIMIT_S)
def build_audit_sample(run: ReportRun, progress: Progress) -> BuiltFile:
    """Builder of ``ReportKind.AUDIT_SAMPLE`` runs (``params`` from
    ``reporting.services.audit_sample_request``)."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the path outlives this function
        prefix=f"audit-sample-{run.pk}-", suffix=".zip", delete=False
    )
    handle.close()
    try:
        manifest = bundle_write(run=run, path=handle.name, progress=progress)
    except BaseException:
        os.unlink(handle.name)
        raise
    if manifest["failures"]:
        os.unlink(handle.name)
        raise SampleIntegrityFailed(_failure_message(manifest["failures"]))
    return BuiltFile(
        content=None,
        path=handle.name,
        file_name=f"audit-sample-{run.pk}.zip",
        media_type="application/zip",
    )
