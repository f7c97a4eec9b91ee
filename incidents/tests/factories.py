"""Test data for the incident register, made through the real services.

Each helper calls the service a person or a pipeline would call, so a test's data has passed
the same validation, permissions and timeline writers as production data.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import services
from incidents.choices import ContainmentOption, DetectionSource, Severity, Status
from inventory import services as inventory_services

PNG_HEADER = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
)


def incident_data(**extra) -> dict:
    return {
        "title": "Loan model rejects valid applications",
        "description": "Since the last retrain the model rejects applicants with a non-EU postcode.",
        "detection_source": DetectionSource.MONITORING,
        **extra,
    }


def file_incident(actor, *, systems=(), severity=None, severity_reason="", **data):
    """File an incident as ``actor`` (``incident_create``)."""
    return services.incident_create(
        actor=actor,
        data=incident_data(**data),
        systems=list(systems),
        severity=severity,
        severity_reason=severity_reason,
    )


def model_version(system, actor, label="v1", **extra):
    return inventory_services.model_version_create(
        actor=actor,
        system=system,
        data={
            "version_label": label,
            "artifact_digest": f"sha256:{label}-digest",
            "training_data_version": f"data-{label}",
            "prompt_config_version": f"prompt-{label}",
            **extra,
        },
    )


def deploy(system, actor, version, *, at=None, change_type="deploy"):
    return inventory_services.deployment_record(
        actor=actor,
        system=system,
        data={
            "model_version": version,
            "deployed_at": at or timezone.now() - timedelta(days=1),
            "change_type": change_type,
        },
    )


def upload(content=b"2026-03-01 12:00 request=... response=...\n", name="log.txt"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def add_evidence(incident, actor, content=b"prompt,response\nhello,harmful\n", name="io.csv"):
    return services.evidence_add(
        actor=actor, incident=incident, uploaded_file=upload(content, name), kind="sample_io"
    )


# The steps that take an incident from "reported" to each status, guards satisfied on the way.
PATH = {
    Status.REPORTED: [],
    Status.TRIAGED: [Status.TRIAGED],
    Status.CONTAINED: [Status.TRIAGED, Status.CONTAINED],
    Status.INVESTIGATING: [Status.TRIAGED, Status.CONTAINED, Status.INVESTIGATING],
    Status.REMEDIATING: [
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
    ],
    Status.RESOLVED: [
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
        Status.RESOLVED,
    ],
    Status.CLOSED: [
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
        Status.RESOLVED,
        Status.CLOSED,
    ],
    Status.REJECTED: [Status.REJECTED],
}


def ready_incident(actor, system, **data):
    """An incident whose every guard is met: severity, system, evidence, containment, notes."""
    incident = file_incident(
        actor,
        systems=[system],
        severity=Severity.P2,
        severity_reason="Subset of inputs",
        **data,
    )
    add_evidence(incident, actor)
    services.containment_decide(
        actor=actor,
        incident=incident,
        option=ContainmentOption.PAUSE,
        rationale="Human review of every decision until fixed.",
    )
    incident = services.incident_update(
        actor=actor,
        incident=incident,
        data={
            "verification_note": "Replayed the failing postcodes against the fix: all accepted.",
            "closing_summary": "Retrain reverted; monitoring threshold tightened.",
        },
    )
    return incident


def sign_off_disclosure(incident, actor):
    """The disclosure assessment as legal would leave it: every proposal confirmed (what the
    rules cannot decide recorded as not applicable, with a reason) and signed off."""
    from aims.accounts.services import user_upsert_with_role
    from disclosure import services as disclosure

    legal, _ = user_upsert_with_role(username="legal-signatory", role="legal")
    assessment = disclosure.assessment_refresh(actor=actor, incident=incident)
    for row in assessment.obligations.exclude(proposed="no"):
        applies = "no" if row.proposed == "undetermined" else row.proposed
        disclosure.obligation_confirm(
            actor=legal, obligation=row, applies=applies, reason="Assessed for the test incident."
        )
    return disclosure.assessment_sign_off(actor=legal, assessment=assessment)


def confirm_root_cause(incident, actor, *, category="integration_bug"):
    """A root cause as the incident lead would confirm it: one why, a supporting diagnostic,
    and the incident's first evidence item linked as confirming evidence."""
    from capa import services as capa

    cause = capa.root_cause_propose(
        actor=actor,
        incident=incident,
        category=category,
        statement="The postcode parser drops non-EU formats before scoring.",
    )
    capa.why_add(
        actor=actor,
        root_cause=cause,
        question="Why were valid applicants rejected?",
        answer="Their postcode reached the model empty.",
    )
    capa.diagnostic_add(
        actor=actor,
        root_cause=cause,
        method="failing_case_trace",
        description="Traced one rejected application through the integration.",
        result="The parser returned an empty postcode for a Swiss address.",
        outcome="supports",
    )
    evidence = incident.evidence.order_by("pk").first() or add_evidence(incident, actor)
    capa.evidence_link(actor=actor, root_cause=cause, evidence=evidence)
    return capa.root_cause_confirm(actor=actor, root_cause=cause)


def confirm_scope(incident, actor, *, confirm=True, **data):
    """The scope as the lead would confirm it (or estimate it, ``confirm=False``)."""
    from capa import services as capa

    now = timezone.now()
    body = {
        "period_start": now - timedelta(days=3),
        "period_end": now - timedelta(days=1),
        "population": 1000,
        "classification_rule": "A rejection whose postcode field reached the model empty.",
        "sample_size": 100,
        "sample_failures": 4,
        "confirmed_count": 40,
        "lower_bound": 30,
        "upper_bound": 55,
        "uncertainty_note": "" if confirm else "Logs of day 2 are still being exported.",
        **data,
    }
    return capa.scope_record(actor=actor, incident=incident, data=body, confirm=confirm)


def ready_to_close(incident, actor):
    """What the other modules require before closing: the disclosure assessment signed off,
    a confirmed root cause, for a P0/P1 the confirmed scope, a CAPA or the recorded reason
    for none, and the risk register reviewed (no change, with the reason)."""
    sign_off_disclosure(incident, actor)
    from capa.selectors import confirmed_root_cause, scope_of

    if confirmed_root_cause(incident) is None:
        confirm_root_cause(incident, actor)
    if incident.severity is not None and incident.severity <= 1:
        scope = scope_of(incident)
        if scope is None or not scope.is_confirmed:
            confirm_scope(incident, actor)
    from capa.models import CapaIncidentLink, NoCapaDecision

    if not (
        CapaIncidentLink.objects.filter(incident=incident).exists()
        or NoCapaDecision.objects.filter(incident=incident).exists()
    ):
        decide_no_capa(incident, actor)
    from risk.models import IncidentRiskReview

    if not IncidentRiskReview.objects.filter(incident=incident).exists():
        review_risks_no_change(incident)


def review_risks_no_change(incident):
    """The risk-register closure check met by a recorded 'no change', with its reason (GRC's)."""
    from aims.accounts.services import user_upsert_with_role
    from risk import services as risk

    grc, _ = user_upsert_with_role(username="risk-reviewer", role="grc")
    return risk.incident_risk_review_record(
        actor=grc,
        incident=incident,
        outcome="no_change",
        reason="A one-off test incident: the register already covers it.",
    )


def decide_no_capa(incident, actor):
    """The CAPA closure check met by a recorded decision that no CAPA is needed (GRC's)."""
    from aims.accounts.services import user_upsert_with_role
    from capa import services as capa

    grc, _ = user_upsert_with_role(username="capa-decider", role="grc")
    return capa.no_capa_decide(
        actor=grc, incident=incident, reason="A one-off test incident: nothing to correct."
    )


def incident_at(status, actor, system, **data):
    """A fully prepared incident moved along the lifecycle to ``status`` by ``actor``."""
    incident = ready_incident(actor, system, **data)
    if Status(status) in (Status.RESOLVED, Status.CLOSED):  # ready to close
        ready_to_close(incident, actor)
    for step in PATH[Status(status)]:
        incident = services.incident_transition(
            actor=actor, incident=incident, to=step, reason="Test step with a reason."
        )
    return incident
