"""Evidence (write-once, hashed), waivers of "preserve first", and containment decisions."""

import logging

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import GuardFailed, ValidationFailed
from aims.core.files import (
    EvidenceIntegrityFailed,
    EvidenceNotStored,
    EvidenceStorageFull,
    EvidenceTooLarge,
    file_intact,
    read_upload,
    store_file,
)
from aims.core.permissions import require
from aims.core.services import audited_write, model_save

from .. import events, permissions
from ..choices import OPEN_STATUSES, ApprovalSubject, ContainmentOption, CustodyAction, EvidenceKind
from ..models import Approval, ContainmentDecision, Evidence, EvidenceAccess, Incident
from ..workflow import guard_preserve_first
from .registry_rollback import registry_rollback_link, rollback_request

logger = logging.getLogger(__name__)

__all__ = [  # the shared file errors, still importable from here
    "EvidenceIntegrityFailed",
    "EvidenceNotStored",
    "EvidenceStorageFull",
    "EvidenceTooLarge",
]


@audited_write
def evidence_add(
    *,
    actor,
    incident: Incident,
    uploaded_file,
    kind: str,
    description: str = "",
    period_start=None,
    period_end=None,
) -> Evidence:
    """Preserve a file for the incident: hash it, type it from its content, store it once."""
    _require_contributor(actor, incident)
    return _evidence_store(
        actor=actor,
        incident=incident,
        uploaded_file=uploaded_file,
        kind=kind,
        description=description,
        period_start=period_start,
        period_end=period_end,
    )


def _evidence_store(
    *, actor, incident, uploaded_file, kind, description="", period_start=None, period_end=None
) -> Evidence:
    """``evidence_add`` once the caller's right is established: by the contributor check, or
    by the alert intake, whose poster preserves the report on whichever incident it reached."""
    if kind not in EvidenceKind.values:
        raise ValidationFailed(
            _("Unknown evidence kind. Choose one of: %s.") % ", ".join(EvidenceKind.values),
            fields={"kind": ["invalid choice"]},
        )
    facts = read_upload(uploaded_file)
    name = facts["original_name"]
    evidence = Evidence(
        incident=incident,
        kind=kind,
        description=(description or "").strip(),
        **facts,
        period_start=period_start,
        period_end=period_end,
        captured_by=actor,
        captured_at=timezone.now(),
    )
    # The incident and the actor are rows in hand; evidence has no uniqueness to look up.
    evidence.full_clean(exclude=["file", "incident", "captured_by"])
    store_file(evidence, name, uploaded_file)
    try:
        model_save(evidence, actor=actor, validate=False)  # validated above, before storing
        model_save(
            EvidenceAccess(
                evidence=evidence, action=CustodyAction.UPLOADED, user=actor, hash_verified=True
            ),
            actor=actor,
            lookups=False,
        )
        incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
        if incident.evidence_preserved_at is None:
            incident.evidence_preserved_at = evidence.captured_at
            model_save(incident, actor=actor, lookups=False)
        events.evidence_added_event(incident=incident, actor=actor, evidence=evidence)
    except BaseException:
        evidence.file.storage.delete(evidence.file.name)  # no file without its record
        raise
    return evidence


def _require_contributor(actor, incident):
    require(permissions.can_add_evidence(actor, incident))


def evidence_open(*, actor, evidence: Evidence, action: str = CustodyAction.DOWNLOADED):
    """Open an evidence file for reading after re-checking its SHA-256; log the access.

    The caller has already established that ``actor`` may see the incident. The custody entry is
    written whether the check passes or fails.
    """
    intact = file_intact(evidence.file, evidence.sha256)
    _log_access(
        actor=actor,
        evidence=evidence,
        action=action if intact else CustodyAction.INTEGRITY_FAILED,
        intact=intact,
    )
    if not intact:
        raise EvidenceIntegrityFailed()
    return evidence.file.open("rb")


@audited_write
def _log_access(*, actor, evidence, action, intact):
    model_save(
        EvidenceAccess(
            evidence=evidence,
            action=action,
            user=actor if getattr(actor, "pk", None) else None,
            hash_verified=intact,
        ),
        actor=actor,
        lookups=False,
    )


@audited_write
def evidence_waiver_approve(*, actor, incident: Incident, reason: str) -> Approval:
    """The AI risk officer lets containment go ahead before evidence is preserved, with a reason."""
    require(permissions.can_approve_waiver(actor, incident))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("A waiver needs a reason."), fields={"reason": ["required"]})
    if incident.approvals.filter(subject=ApprovalSubject.EVIDENCE_WAIVER).exists():
        raise ValidationFailed(_("A waiver is already approved for this incident."))
    approval = model_save(
        Approval(
            incident=incident,
            subject=ApprovalSubject.EVIDENCE_WAIVER,
            approved_by=actor,
            approved_at=timezone.now(),
            comment=reason,
        ),
        actor=actor,
        lookups=False,
    )
    events.approval_event(incident=incident, actor=actor, approval=approval)
    return approval


@audited_write
def containment_decide(
    *,
    actor,
    incident: Incident,
    option: str,
    rationale: str,
    fallback_version=None,
    move_registry_alias: bool = False,
) -> ContainmentDecision:
    """Record the containment decision. Refused before evidence is preserved (guard 1).

    With ``move_registry_alias`` (option A, a known-good version imported from a linked model
    registry) the decision also asks for the production alias to be moved back to that version
    (``registry_rollback``): after commit, verified by reading it back.
    """
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    require(permissions.can_decide_containment(actor, incident))
    if option not in ContainmentOption.values:
        raise ValidationFailed(
            _("Choose option A (reroute), option B (pause) or none needed."),
            fields={"option": ["invalid choice"]},
        )
    rationale = (rationale or "").strip()
    if not rationale:
        raise ValidationFailed(
            _("Give the rationale for the containment decision."),
            fields={"rationale": ["required"]},
        )
    if message := guard_preserve_first(incident, ""):
        raise GuardFailed(message)
    if fallback_version is not None:
        if option != ContainmentOption.REROUTE:
            raise ValidationFailed(
                _("A known-good version belongs to option A (reroute)."),
                fields={"fallback_version": ["only for reroute"]},
            )
        if not incident.affected_systems.filter(system_id=fallback_version.system_id).exists():
            raise ValidationFailed(
                _("The known-good version must belong to an affected system."),
                fields={"fallback_version": ["not an affected system's version"]},
            )
    link = None
    if move_registry_alias:
        if fallback_version is None:
            raise ValidationFailed(
                _("Choose the known-good version the production alias moves back to."),
                fields={"fallback_version": ["required to move the registry alias"]},
            )
        link = registry_rollback_link(fallback_version)
    waiver = None
    if not incident.evidence.exists():
        waiver = incident.approvals.filter(subject=ApprovalSubject.EVIDENCE_WAIVER).first()
    decision = model_save(
        ContainmentDecision(
            incident=incident,
            option=option,
            rationale=rationale,
            decided_by=actor,
            decided_at=timezone.now(),
            fallback_version=fallback_version,
            waiver=waiver,
        ),
        actor=actor,
        lookups=False,
    )
    events.containment_decided_event(incident=incident, actor=actor, decision=decision)
    if link is not None:
        rollback_request(actor=actor, decision=decision, link=link)
    return decision


def rollback_guard(system, change_type: str) -> None:
    """Guard 1 on the change log: no rollback of a system whose open incident has no evidence yet."""
    if change_type != "rollback":
        return
    unpreserved = (
        Incident.objects.filter(affected_systems__system=system, status__in=list(OPEN_STATUSES))
        .exclude(Exists(Evidence.objects.filter(incident=OuterRef("pk"))))
        .exclude(
            Exists(
                Approval.objects.filter(
                    incident=OuterRef("pk"), subject=ApprovalSubject.EVIDENCE_WAIVER
                )
            )
        )
        .only("reference")
        .first()
    )
    if unpreserved is not None:
        raise GuardFailed(
            _(
                "%(ref)s is open for %(system)s and has no preserved evidence. Preserve evidence first (or have "
                "the AI risk officer approve a waiver) before rolling back, so the failing state is not lost."
            )
            % {"ref": unpreserved.reference, "system": system.reference}
        )
