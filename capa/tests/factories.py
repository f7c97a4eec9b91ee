"""Test data for the CAPA records, made through the real services."""

from django.core.files.uploadedfile import SimpleUploadedFile

from capa import services
from capa.choices import ActionStatus, ActionType, CheckResult, Horizon
from incidents.tests.factories import file_incident


def capa_data(owner, **extra) -> dict:
    return {
        "action_type": ActionType.CORRECTIVE,
        "title": "Pin the scoring model version",
        "description": "Call the vendor model by an explicit version.",
        "owner": owner,
        "horizon": Horizon.SHORT_TERM,
        **extra,
    }


def raise_capa(actor, owner, *, incidents=None, system=None, **extra):
    """A CAPA raised by ``actor`` (GRC or the risk officer) for an incident (one is filed)."""
    if incidents is None:
        incidents = [file_incident(actor, systems=[system] if system else [])]
    return services.capa_create(actor=actor, data=capa_data(owner, **extra), incidents=incidents)


def proof(content=b"diff --git a/model.yaml b/model.yaml\n+version: 2026-03-01\n", name="pin.diff"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def capa_at(status, *, actor, owner, verifier=None, **extra):
    """A CAPA moved to ``status`` along the designed path (evidence, check, follow-up)."""
    capa = raise_capa(actor, owner, **extra)
    status = ActionStatus(status)
    if status == ActionStatus.OPEN:
        return capa
    if status == ActionStatus.CANCELLED:
        return services.capa_transition(actor=actor, capa=capa, to=status, reason="Superseded.")
    capa = services.capa_transition(actor=owner, capa=capa, to=ActionStatus.IN_PROGRESS)
    if status == ActionStatus.IN_PROGRESS:
        return capa
    services.capa_evidence_add(actor=owner, capa=capa, uploaded_file=proof())
    services.effectiveness_check_plan(
        actor=actor, capa=capa, criterion="No rejection of EU postcodes", method="Replay sample"
    )
    capa = services.capa_transition(actor=owner, capa=capa, to=ActionStatus.IMPLEMENTED)
    if status == ActionStatus.IMPLEMENTED:
        return capa
    verifier = verifier or actor
    if status == ActionStatus.VERIFIED_EFFECTIVE:
        services.effectiveness_check_record(actor=verifier, capa=capa, result=CheckResult.PASSED)
    else:
        services.effectiveness_check_record(actor=verifier, capa=capa, result=CheckResult.FAILED)
        services.capa_create(
            actor=actor,
            data=capa_data(owner, title="Second attempt", follows=capa),
            incidents=list(capa.incidents.all()),
        )
    return services.capa_transition(actor=verifier, capa=capa, to=status)
