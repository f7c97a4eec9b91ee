"""Drift and quality monitors: native intake for Alibi Detect (also as Seldon sends it, wrapped in
a CloudEvent) and for Evidently test suites and reports, next to the Alertmanager intake.

The monitors' own output is taken as it is — no adapter to write — and handled as alerts are
(``alerts._apply``): the same de-duplication (the detector's or suite's name and the system
identify the alert), the first firing opens an incident with detection source "automated
monitoring", a repeat while it is open goes on its timeline, a clean result is noted there as
resolved. What always holds besides: **the body as received is preserved as an evidence item**
of the incident it reached (write-once, SHA-256, the period it covers), so the report that
opened an incident is already preserved evidence, byte for byte.

The system is named by ``?system=AIS-0001`` on the intake URL (each monitor is configured with
its own URL), or inside the payload: ``meta.ai_system`` / ``ai_system`` for a detector, the
CloudEvent extension attribute ``aisystem``, or ``metadata.ai_system`` / ``tags`` for Evidently.
"""

import hashlib
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.services import audited_write
from inventory.models import AISystem

from ..choices import AlertSource, AlertState, EvidenceKind
from .alerts import (
    MAX_SOURCE,
    _Alert,
    _apply,
    _describe,
    _Invalid,
    _require_poster,
    _text,
    _time,
)
from .evidence import _evidence_store

MAX_BODY_BYTES = 5 * 1024 * 1024  # a report larger than this is refused, not truncated
CLOUDEVENT_ATTRIBUTES = ("id", "source", "type", "specversion", "time", "subject", "aisystem")
EVIDENTLY_FAILED = {"FAIL", "ERROR"}


def _system(reference, where: str) -> AISystem:
    reference = _text(reference, where, max_length=16)
    system = AISystem.objects.filter(reference=reference).first()
    if system is None:
        raise _Invalid(
            _("unknown AI system %(ref)r in %(where)s") % {"ref": reference, "where": where},
            field_name="system",
        )
    return system


def _number(value):
    """A detector's statistic: a number, or the first of a list (one per feature)."""
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, int | float) and not isinstance(v, bool)]
        return min(numbers) if numbers else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def _invalid(exc: _Invalid):
    return ValidationFailed(str(exc), fields={exc.field_name: [str(exc)]})


# --- Alibi Detect / Seldon --------------------------------------------------------------------


def _parse_cloudevent(payload: dict, headers: dict) -> tuple[dict, dict]:
    """(detector output, CloudEvent attributes). Structured mode: the attributes and ``data``
    in the body; binary mode: the attributes in ``ce-*`` headers and the body is the data."""
    if "specversion" in payload and "data" in payload:
        attributes = {k: payload.get(k) for k in CLOUDEVENT_ATTRIBUTES if k in payload}
        data = payload["data"]
        if not isinstance(data, dict):
            raise _Invalid(
                _("data of the CloudEvent must be the detector's output object"), field_name="data"
            )
        return data, attributes
    attributes = {
        name: headers[f"ce-{name}"] for name in CLOUDEVENT_ATTRIBUTES if f"ce-{name}" in headers
    }
    return payload, attributes


def _parse_detector(payload, *, system_ref: str, headers: dict) -> tuple[_Alert, datetime | None]:
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The body must be a JSON object: the detector's output."))
    output, event = _parse_cloudevent(payload, headers)
    data, meta = output.get("data"), output.get("meta") or {}
    if not isinstance(data, dict) or "is_drift" not in data and "is_outlier" not in data:
        raise _Invalid(
            _("data.is_drift is required: send the detector's predict() output as it is"),
            field_name="data",
        )
    if not isinstance(meta, dict):
        raise _Invalid(_("meta must be an object"), field_name="meta")
    flag = data.get("is_drift", data.get("is_outlier"))
    flags = flag if isinstance(flag, list) else [flag]
    if not all(isinstance(f, int | bool) for f in flags):
        raise _Invalid(_("data.is_drift must be 0/1 or true/false"), field_name="data")
    detector = _text(meta.get("name") or "detector", "meta.name", max_length=MAX_SOURCE)
    detector_type = str(
        meta.get("detector_type") or ("outlier" if "is_outlier" in data else "drift")
    )
    system = _system(
        system_ref or meta.get("ai_system") or output.get("ai_system") or event.get("aisystem"),
        "the system (?system=, meta.ai_system or the CloudEvent's aisystem)",
    )
    at = _time(event.get("time"), "CloudEvent time", required=False) or timezone.now()
    firing = any(bool(f) for f in flags)
    facts = [
        _("Detector: %(name)s (%(kind)s)") % {"name": detector, "kind": detector_type},
        _("Drift detected: %s") % (_("yes") if firing else _("no")),
    ]
    for label, key in (("p-value", "p_val"), ("distance", "distance"), ("threshold", "threshold")):
        value = _number(data.get(key))
        if value is not None:
            facts.append(f"{label}: {value:g}")
    if meta.get("version"):
        facts.append(_("Alibi Detect version: %s") % meta["version"])
    if event.get("source"):
        facts.append(_("CloudEvent source: %s") % str(event["source"])[:200])
    title = _("%(detector)s detected %(kind)s on %(system)s") % {
        "detector": detector,
        "kind": detector_type,
        "system": system.name,
    }
    return (
        _Alert(
            source=AlertSource.ALIBI_DETECT,
            source_label=str(event.get("source") or "alibi-detect")[:MAX_SOURCE],
            fingerprint=f"{system.reference}:{detector}"[:200],
            status=AlertState.FIRING if firing else AlertState.RESOLVED,
            system=system,
            name=f"{detector} {detector_type}",
            title=title[:250],
            description=_describe(text="", labels={}, started_at=at, extra=facts),
            started_at=at,
            ended_at=None if firing else at,
            url="",
            severity=None,
            labels={"detector": detector, "detector_type": detector_type},
        ),
        at,
    )


# --- Evidently ---------------------------------------------------------------------------------


def _evidently_failures(payload: dict) -> tuple[list[str], str]:
    """The failed tests (test suite) or the drifted metrics (report), and the kind."""
    if isinstance(payload.get("tests"), list):
        failed = []
        for index, test in enumerate(payload["tests"]):
            if not isinstance(test, dict):
                raise _Invalid(_("tests[%d] must be an object") % index, field_name="tests")
            if str(test.get("status", "")).upper() in EVIDENTLY_FAILED:
                detail = test.get("description") or ""
                failed.append(f"{test.get('name') or _('test %d') % index}: {detail}".strip(": "))
        return failed, "test suite"
    if isinstance(payload.get("metrics"), list):
        drifted = []
        for index, metric in enumerate(payload["metrics"]):
            if not isinstance(metric, dict):
                raise _Invalid(_("metrics[%d] must be an object") % index, field_name="metrics")
            result = metric.get("result") if isinstance(metric.get("result"), dict) else {}
            if result.get("dataset_drift") or result.get("drift_detected"):
                share = result.get("share_of_drifted_columns")
                name = str(metric.get("metric") or _("metric %d") % index)
                drifted.append(
                    name
                    + (
                        f": {share:.0%} of columns drifted"
                        if isinstance(share, int | float)
                        else ""
                    )
                )
        return drifted, "report"
    raise _Invalid(
        _("An Evidently test suite (tests) or report (metrics) is required"), field_name="tests"
    )


def _parse_evidently(payload, *, system_ref: str) -> tuple[_Alert, datetime | None]:
    if not isinstance(payload, dict):
        raise ValidationFailed(_("The body must be a JSON object: the Evidently suite or report."))
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    tags = payload.get("tags") if isinstance(payload.get("tags"), list) else []
    tagged = next((t for t in tags if isinstance(t, str) and t.startswith("AIS-")), None)
    system = _system(
        system_ref or metadata.get("ai_system") or tagged,
        "the system (?system=, metadata.ai_system or a tag AIS-…)",
    )
    failures, kind = _evidently_failures(payload)
    name = _text(
        metadata.get("name") or payload.get("name") or f"evidently {kind}",
        "metadata.name",
        max_length=MAX_SOURCE,
    )
    at = _time(payload.get("timestamp"), "timestamp", required=False) or timezone.now()
    firing = bool(failures)
    summary = payload.get("summary") if isinstance(payload.get("summary"), dict) else {}
    facts = [_("Evidently %(kind)s: %(name)s") % {"kind": kind, "name": name}]
    if summary.get("total_tests") is not None:
        facts.append(
            _("%(failed)s of %(total)s tests failed")
            % {
                "failed": summary.get("failed_tests", len(failures)),
                "total": summary["total_tests"],
            }
        )
    facts += [f"- {line}"[:500] for line in failures[:50]]
    title = (
        _("%(name)s: %(n)d failed on %(system)s")
        % {"name": name, "n": len(failures), "system": system.name}
        if firing
        else _("%(name)s passed on %(system)s") % {"name": name, "system": system.name}
    )
    return (
        _Alert(
            source=AlertSource.EVIDENTLY,
            source_label="evidently",
            fingerprint=f"{system.reference}:{name}"[:200],
            status=AlertState.FIRING if firing else AlertState.RESOLVED,
            system=system,
            name=name,
            title=title[:250],
            description=_describe(text="", labels={}, started_at=at, extra=facts),
            started_at=at,
            ended_at=None if firing else at,
            url="",
            severity=None,
            labels={"evidently": kind},
        ),
        at,
    )


# --- receiving ---------------------------------------------------------------------------------


def _receive(*, actor, payload, raw: bytes, parse, file_prefix: str) -> dict:
    """``payload`` is the parsed body (the API's JSON parser refused what cannot be stored),
    ``raw`` the bytes as received: what is preserved and hashed."""
    _require_poster(actor)
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationFailed(
            _("The report is larger than %d MB; send a smaller window.") % (MAX_BODY_BYTES >> 20)
        )
    try:
        alert, at = parse(payload)
    except _Invalid as exc:
        raise _invalid(exc) from None
    digest = hashlib.sha256(raw).hexdigest()

    def preserve(alert, link):
        _evidence_store(
            actor=actor,
            incident=link.incident,
            kind=EvidenceKind.MONITOR_REPORT,
            uploaded_file=SimpleUploadedFile(
                f"{file_prefix}-{at:%Y%m%dT%H%M%SZ}-{digest[:12]}.json",
                raw,
                content_type="application/json",
            ),
            description=_("%(title)s — the report as the monitor sent it (%(state)s).")
            % {"title": alert.title, "state": alert.status},
            period_end=at,
        )

    return _apply(actor, [alert], on_applied=preserve)


@audited_write
def alibi_detect_receive(*, actor, payload, raw: bytes, system: str = "", headers=None) -> dict:
    """Take one Alibi Detect detector output (``{"data": {"is_drift", "distance", "p_val",
    "threshold"}, "meta": {"name", "detector_type", …}}``), bare or as a CloudEvent (Seldon's
    structured mode, or binary mode with ``ce-*`` headers). ``is_drift`` 1 fires, 0 resolves."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    return _receive(
        actor=actor,
        payload=payload,
        raw=raw,
        parse=lambda payload: _parse_detector(payload, system_ref=system, headers=headers),
        file_prefix="alibi-detect",
    )


@audited_write
def evidently_receive(*, actor, payload, raw: bytes, system: str = "") -> dict:
    """Take one Evidently test suite (``tests`` with ``status`` FAIL/ERROR failing, ``summary``)
    or report (``metrics`` whose ``result.dataset_drift``/``drift_detected`` is true). Any
    failure fires; a clean run resolves."""
    return _receive(
        actor=actor,
        payload=payload,
        raw=raw,
        parse=lambda payload: _parse_evidently(payload, system_ref=system),
        file_prefix="evidently",
    )
