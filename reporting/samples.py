"""Audit samples: a reproducible random draw from the register, bundled with its evidence.

Auditors "sample real incidents or near misses to verify that the process works in practice".
A sample is only worth something if anyone can repeat the draw and check that nothing in the
bundle was changed. So:

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
``<REF>/evidence/<file name>``, plus ``manifest.json``: the sampling parameters, who generated it
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
import random
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aims.audit.chain import verify_and_record
from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.instants import validate_instant
from incidents.choices import CustodyAction, Kind, Severity, Status
from incidents.models import Evidence, Incident
from incidents.selectors import incidents_visible_to
from incidents.services import evidence_open
from incidents.services.evidence import EvidenceIntegrityFailed
from inventory.models import AISystem

from . import permissions
from .choices import ReportKind
from .models import ReportRun
from .services import BuiltFile, Progress, builder, report_request

MAX_SIZE = 500
MAX_SEED = 2**53 - 1  # exact in JSON numbers and JavaScript, so a seed survives every client
CHUNK = 1024 * 1024
ZIP64_FROM = 1 << 30  # evidence larger than this is written with ZIP64 headers
MANIFEST_FORMAT = "aims-register/audit-sample/1"
METHOD = (
    "random.Random(seed).sample(population ids in ascending order, k = min(size, population "
    "size)); the drawn incidents are listed by reference"
)


class SampleIntegrityFailed(ApplicationError):
    code = "audit_sample_integrity_failed"
    status_code = 409
    default_message = _("An evidence file of the sample failed its integrity check.")


# --- parameters -----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.DATETIME)
class PeriodBoundField(serializers.Field):
    """An ISO 8601 date or date-time. A date alone means the start of that day for the lower
    bound and its end for the upper bound, so "to 2026-03-31" includes the whole 31st."""

    default_error_messages = {
        "invalid": _("Give an ISO 8601 date (2026-03-31) or date-time (2026-03-31T14:00:00Z).")
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)
        self.validators.append(validate_instant)

    def to_internal_value(self, data):
        if isinstance(data, datetime):
            value = data
        else:
            text = str(data).strip()
            try:
                # A date alone first: parse_datetime would read it as midnight.
                day = parse_date(text)
                value = None if day else parse_datetime(text)
            except ValueError:
                self.fail("invalid")
            if day is not None:
                value = datetime.combine(day, time.max if self.end_of_day else time.min)
            elif value is None:
                self.fail("invalid")
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def to_representation(self, value):
        return value.isoformat()


class AuditSampleParamsSerializer(serializers.Serializer):
    """What an auditor asks for: the population's filters, the sample size and (optionally) the
    seed. The API, the Reports page and ``export_audit_sample`` all validate with this."""

    detected_after = PeriodBoundField(
        required=False,
        allow_null=True,
        help_text=_("Detected on or after (ISO 8601 date or date-time)."),
    )
    detected_before = PeriodBoundField(
        required=False,
        allow_null=True,
        end_of_day=True,
        help_text=_("Detected on or before (ISO 8601; a date alone includes that whole day)."),
    )
    severity = serializers.MultipleChoiceField(
        choices=Severity.choices, required=False, help_text=_("Any of these severities.")
    )
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_blank=True)
    system = serializers.PrimaryKeyRelatedField(
        queryset=AISystem.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Only incidents affecting this AI system (its id)."),
    )
    status = serializers.MultipleChoiceField(
        choices=Status.choices, required=False, help_text=_("Any of these statuses.")
    )
    size = serializers.IntegerField(
        min_value=1, max_value=MAX_SIZE, help_text=_("How many incidents to draw (1 to 500).")
    )
    seed = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        allow_null=True,
        help_text=_(
            "The random seed. Leave it out to have one generated; it is recorded either way, "
            "so the draw can be repeated."
        ),
    )

    def validate(self, attrs):
        after, before = attrs.get("detected_after"), attrs.get("detected_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"detected_before": [_("The period cannot end before it starts.")]}
            )
        return attrs


def _filters_from(validated: dict) -> dict:
    """The population's filters in the plain JSON form kept in the run and the manifest."""
    system = validated.get("system")
    filters = {
        "detected_after": validated["detected_after"].isoformat()
        if validated.get("detected_after")
        else None,
        "detected_before": validated["detected_before"].isoformat()
        if validated.get("detected_before")
        else None,
        "severity": sorted(int(v) for v in validated.get("severity") or ()),
        "kind": validated.get("kind") or None,
        "system": system.pk if system else None,
        "system_reference": system.reference if system else None,
        "status": sorted(str(v) for v in validated.get("status") or ()),
    }
    return filters


def _validation_failed(errors: dict) -> ValidationFailed:
    fields = {
        name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
        for name, msgs in errors.items()
    }
    text = "; ".join(
        " ".join(msgs) if name == "non_field_errors" else f"{name}: {' '.join(msgs)}"
        for name, msgs in fields.items()
    )
    return ValidationFailed(text, fields=fields)


# --- population and draw ----------------------------------------------------------------------


def sample_population(user, filters: dict) -> QuerySet[Incident]:
    """The incidents ``user`` can see that match ``filters`` (the JSON form), ordered by id."""
    qs = incidents_visible_to(user)
    if filters.get("detected_after"):
        qs = qs.filter(detected_at__gte=filters["detected_after"])
    if filters.get("detected_before"):
        qs = qs.filter(detected_at__lte=filters["detected_before"])
    if filters.get("severity"):
        qs = qs.filter(severity__in=filters["severity"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("system"):
        qs = qs.filter(affected_systems__system_id=filters["system"])
    if filters.get("status"):
        qs = qs.filter(status__in=filters["status"])
    return qs.distinct().order_by("id")


def population_sha256(ids) -> str:
    """SHA-256 of the population's ids in ascending order, joined with commas."""
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode("ascii")).hexdigest()


def draw_ids(population_ids: list[int], *, size: int, seed: int) -> list[int]:
    """The draw itself: ``random.Random(seed).sample`` over the ids in ascending order."""
    ordered = sorted(population_ids)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))  # noqa: S311 - a reproducible draw, not a secret


@dataclass(frozen=True)
class Draw:
    population_size: int
    population_sha256: str
    incident_ids: list[int]  # in the order of ``references``
    references: list[str]  # sorted


def sample_draw(*, actor, filters: dict, size: int, seed: int) -> Draw:
    """Draw a sample from the population ``actor`` sees. Same seed + same population => same
    sample."""
    population_ids = list(sample_population(actor, filters).values_list("id", flat=True))
    drawn = draw_ids(population_ids, size=size, seed=seed)
    rows = sorted(
        Incident.objects.filter(pk__in=drawn).values_list("reference", "id"),
        key=lambda row: row[0],
    )
    return Draw(
        population_size=len(population_ids),
        population_sha256=population_sha256(population_ids),
        incident_ids=[pk for _ref, pk in rows],
        references=[ref for ref, _pk in rows],
    )


def audit_sample_request(*, actor, data) -> ReportRun:
    """Validate an auditor's request, draw the sample and record the run (not yet built).

    The caller queues it (``report_queue``) or builds it inline (``report_execute``). The draw is
    kept in ``run.params`` with everything needed to repeat it.
    """
    if not permissions.can_request(actor, ReportKind.AUDIT_SAMPLE):
        raise PermissionRefused(_("Your role cannot draw audit samples."))
    serializer = AuditSampleParamsSerializer(data=data)
    if not serializer.is_valid():
        raise _validation_failed(serializer.errors)
    validated = serializer.validated_data
    filters = _filters_from(validated)
    seed = validated.get("seed")
    seed_generated = seed is None
    if seed_generated:
        seed = secrets.randbelow(2**31)
    size = validated["size"]
    drawn = sample_draw(actor=actor, filters=filters, size=size, seed=seed)
    if not drawn.population_size:
        raise ValidationFailed(
            _(
                "No incident you can see matches these filters, so there is nothing to sample. "
                "Widen the period or remove a filter."
            )
        )
    params = {
        "filters": filters,
        "size": size,
        "seed": seed,
        "seed_generated": seed_generated,
        "population_size": drawn.population_size,
        "population_sha256": drawn.population_sha256,
        "drawn": drawn.references,
        "incident_ids": drawn.incident_ids,
    }
    return report_request(actor=actor, kind=ReportKind.AUDIT_SAMPLE, params=params)


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
    from .casefile import render_case_file  # lazily: the case file pulls in WeasyPrint

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
    found = {i.pk: i for i in incidents_visible_to(actor).filter(pk__in=ids)}
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
        sample_population(actor, params.get("filters") or {}).values_list("id", flat=True)
    )
    now_sha256 = population_sha256(now_ids)
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


@builder(ReportKind.AUDIT_SAMPLE)
def build_audit_sample(run: ReportRun, progress: Progress) -> BuiltFile:
    """Builder of ``ReportKind.AUDIT_SAMPLE`` runs (``params`` from ``audit_sample_request``)."""
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
