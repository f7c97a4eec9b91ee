"""The live configuration the AI incident-management procedure is generated from, and its
fingerprint.

``configuration(document)`` reads what the tool enforces: the severity definitions, every clock
policy (kind, due time, reminder, escalation chain), the roles and what each may do, the
detection sources, the reporting channels (the protected one with its address) and the
document's links to the security, privacy and continuity processes. ``fingerprint`` is the
SHA-256 of its canonical JSON: an approved version built from another fingerprint no longer
matches what the tool enforces, and shows as outdated (computed on read, so a change of a clock
policy in the admin needs no listener in ``aims.clocks``).
"""

import hashlib
import json

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from aims.accounts.choices import Role
from aims.clocks.choices import DurationUnit
from aims.clocks.models import ClockPolicy
from aims.clocks.registry import kind_label
from incidents.choices import DetectionSource, Severity

# What each role may do (DESIGN section 6), as the procedure states it.
ROLE_DUTIES = {
    Role.GRC: "Keeps the full incident register: triage, severity, clocks, closure, exports.",
    Role.RISK_OFFICER: (
        "Owns the risk methodology and risk acceptance; approves evidence waivers and "
        "documented information."
    ),
    Role.DPO: "Assesses personal-data breaches and the notifications they need.",
    Role.LEGAL: "Assesses regulatory obligations, approves communications, places legal holds.",
    Role.CISO: "Leads security incidents and the link to the security incident process.",
    Role.EXECUTIVE: "Accepts critical risk and is escalated to when clocks are breached.",
    Role.AUDITOR: "Reads everything and changes nothing; creates audit samples and exports.",
    Role.ENGINEER: (
        "Files incidents, adds evidence and notes; sees the incidents of the systems they own "
        "or reported; never sees a protected-channel reporter's identity."
    ),
    Role.ETHICS: "Handles reports made through the protected channel.",
}

# How each severity is meant (the guidance the triage form gives).
SEVERITY_GUIDANCE = {
    Severity.P0: "Harm to people, rights or critical services is occurring or imminent.",
    Severity.P1: "Serious harm is likely or a regulatory report may be due.",
    Severity.P2: "Limited harm or degraded behaviour of an AI system.",
    Severity.P3: "Minor issue, no harm to people.",
}


def _duration(amount: int, unit: str) -> str:
    return (
        f"{amount} {DurationUnit(unit).label}"
        if unit in DurationUnit.values
        else f"{amount} {unit}"
    )


def _policies() -> list[dict]:
    rows = []
    for policy in ClockPolicy.objects.prefetch_related("steps").order_by("kind", "severity"):
        rows.append(
            {
                "kind": policy.kind,
                "kind_label": kind_label(policy.kind),
                "severity": policy.severity,
                "severity_label": f"P{policy.severity}" if policy.severity is not None else "any",
                "amount": policy.amount,
                "unit": policy.unit,
                "due": _duration(policy.amount, policy.unit),
                "remind_before_minutes": policy.remind_before_minutes,
                "active": policy.active,
                "description": policy.description,
                "escalation": [
                    {
                        "position": s.position,
                        "roles": list(s.roles),
                        "delay_minutes": s.delay_minutes,
                    }
                    for s in policy.steps.all()
                ],
            }
        )
    return rows


def configuration(document=None) -> dict:
    """The canonical configuration (JSON-ready, in English so the fingerprint does not depend
    on the reader's language) the procedure states."""
    with translation.override("en"):
        return _configuration(document)


def _configuration(document) -> dict:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return {
        "severities": [
            {"code": int(s.value), "label": str(s.label), "guidance": SEVERITY_GUIDANCE.get(s, "")}
            for s in Severity
        ],
        "clock_policies": _policies(),
        "roles": [
            {"code": r.value, "label": str(r.label), "duties": ROLE_DUTIES.get(r, "")} for r in Role
        ],
        "detection_sources": [{"code": d.value, "label": str(d.label)} for d in DetectionSource],
        "channels": {
            "protected": base + reverse("report:report"),
            "protected_status": base + reverse("report:status"),
            "monitoring_alerts": [
                base + "/api/v1/alerts/alertmanager/",
                base + "/api/v1/alerts/generic/",
            ],
        },
        "process_links": list(getattr(document, "process_links", None) or []),
    }


def fingerprint(config: dict) -> str:
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def live_fingerprint(document=None) -> str:
    return fingerprint(configuration(document))
