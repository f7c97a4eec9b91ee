"""Retention: the schedule's rules, legal holds on incidents, and the purge.

The purge deletes only what is past its retention period and not on hold: evidence files of
closed incidents, ``period_days`` after the closure, under the rule for evidence with personal
data (the incident carries a personal-data or PHI harm flag) or for other evidence — when that
rule is enabled for purging. Each deleted record leaves a ``PurgeTombstone`` (what, when, under
which rule, its SHA-256, which run) and an entry on the incident's timeline. History rows are
never deleted (``cascade_delete_history=False``): the record's deletion is itself a history
record, so the audit chain still verifies and the case file still accounts for the record.

A file referenced elsewhere as evidence (a root cause, an individuals list) is kept, and said so.
Files are removed from storage only after the transaction commits.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save
from incidents.choices import HarmFlag, Status
from incidents.models import Evidence, Incident

from .. import events, permissions
from ..choices import RetentionRecordType
from ..models import LegalHold, PurgeTombstone, RetentionRule

PERSONAL_FLAGS = [HarmFlag.PERSONAL_DATA_BREACH, HarmFlag.PHI]


@audited_write
def retention_rule_update(*, actor, rule, data: dict) -> RetentionRule:
    require(permissions.can_edit_retention(actor, rule))
    rule = RetentionRule.objects.select_for_update().get(pk=rule.pk)
    for name in ("period_days", "legal_basis", "purge_enabled"):
        if name in data:
            setattr(rule, name, data[name])
    if not (rule.legal_basis or "").strip():
        raise ValidationFailed(
            _("Give the legal basis of the retention period."), fields={"legal_basis": ["required"]}
        )
    if rule.period_days is None or int(rule.period_days) < 1:
        raise ValidationFailed(
            _("The retention period is at least one day."), fields={"period_days": ["min 1"]}
        )
    return model_save(rule, actor=actor)


@audited_write
def legal_hold_place(*, actor, incident, reason: str) -> LegalHold:
    require(permissions.can_hold(actor, incident))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the hold is placed."), fields={"reason": ["required"]})
    incident = Incident.objects.select_for_update(no_key=True).get(pk=incident.pk)
    if LegalHold.objects.filter(incident=incident, released_at__isnull=True).exists():
        raise Conflict(_("%(ref)s is already under a legal hold.") % {"ref": incident.reference})
    hold = model_save(
        LegalHold(incident=incident, reason=reason, placed_by=actor, placed_at=timezone.now()),
        actor=actor,
        lookups=False,
    )
    events.legal_hold_event(hold=hold, actor=actor)
    return hold


@audited_write
def legal_hold_release(*, actor, hold, reason: str) -> LegalHold:
    require(permissions.can_hold(actor, hold.incident))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the hold is released."), fields={"reason": ["required"]})
    hold = LegalHold.objects.select_for_update().select_related("incident").get(pk=hold.pk)
    if hold.released_at is not None:
        raise Conflict(_("This legal hold was already released."))
    hold.released_by, hold.released_at, hold.release_reason = actor, timezone.now(), reason
    model_save(hold, actor=actor, lookups=False)
    events.legal_hold_event(hold=hold, actor=actor, released=True)
    return hold


def on_hold(incident) -> bool:
    return LegalHold.objects.filter(incident=incident, released_at__isnull=True).exists()


@dataclass
class Candidate:
    evidence: Evidence
    rule: RetentionRule
    expired_at: object


@dataclass
class PurgeResult:
    run: str
    executed: bool
    candidates: list = field(default_factory=list)  # Candidate
    purged: list = field(default_factory=list)  # PurgeTombstone
    kept: list = field(default_factory=list)  # (label, why)


def _label(evidence) -> str:
    return f"{evidence.incident.reference} evidence #{evidence.pk} {evidence.original_name}"


def purge_candidates(*, now=None) -> list[Candidate]:
    """Evidence past retention and not on hold, under the enabled rules (read only)."""
    now = now or timezone.now()
    rules = {
        r.record_type: r
        for r in RetentionRule.objects.filter(
            purge_enabled=True,
            record_type__in=[
                RetentionRecordType.EVIDENCE_PERSONAL,
                RetentionRecordType.EVIDENCE_OTHER,
            ],
        )
    }
    held = LegalHold.objects.filter(incident=OuterRef("incident"), released_at__isnull=True)
    found = []
    for record_type, personal in (
        (RetentionRecordType.EVIDENCE_PERSONAL, True),
        (RetentionRecordType.EVIDENCE_OTHER, False),
    ):
        rule = rules.get(record_type)
        if rule is None:
            continue
        cutoff = now - timedelta(days=rule.period_days)
        queryset = (
            Evidence.objects.select_related("incident")
            .filter(incident__status=Status.CLOSED, incident__closed_at__lte=cutoff)
            .exclude(Exists(held))
        )
        if personal:
            queryset = queryset.filter(incident__harm_flags__overlap=PERSONAL_FLAGS)
        else:
            queryset = queryset.exclude(incident__harm_flags__overlap=PERSONAL_FLAGS)
        for evidence in queryset.order_by("pk"):
            found.append(
                Candidate(
                    evidence=evidence,
                    rule=rule,
                    expired_at=evidence.incident.closed_at + timedelta(days=rule.period_days),
                )
            )
    return found


def retention_purge(*, actor=None, execute: bool = False, now=None) -> PurgeResult:
    """Find (and with ``execute``, delete) what is past retention and not on hold."""
    result = PurgeResult(run=f"purge-{uuid.uuid4().hex[:12]}", executed=execute)
    result.candidates = purge_candidates(now=now)
    if not execute:
        return result
    for candidate in result.candidates:
        _purge_one(candidate, result, actor=actor)
    return result


@audited_write
def _purge_one(candidate, result, *, actor) -> None:
    evidence = (
        Evidence.objects.select_for_update()
        .select_related("incident")
        .get(pk=candidate.evidence.pk)
    )
    incident = Incident.objects.select_for_update(no_key=True).get(pk=evidence.incident_id)
    label = _label(evidence)
    if incident.status != Status.CLOSED or on_hold(incident):
        result.kept.append((label, _("the incident is open or under a legal hold")))
        return
    rule = candidate.rule
    tombstone = PurgeTombstone(
        run=result.run,
        record_model=Evidence._meta.label_lower,
        record_pk=evidence.pk,
        record_label=label[:400],
        incident=incident,
        rule=rule,
        rule_text=(
            f"{rule.get_record_type_display()}: {rule.period_days} days after closure "
            f"({rule.legal_basis})"
        )[:400],
        sha256=evidence.sha256,
        purged_at=timezone.now(),
    )
    file_name, storage = evidence.file.name, evidence.file.storage
    try:
        with transaction.atomic():
            for access in evidence.custody.all():
                access._history_user = actor if getattr(actor, "pk", None) else None
                access.delete()
            evidence._history_user = actor if getattr(actor, "pk", None) else None
            evidence.delete()
    except ProtectedError:
        result.kept.append((label, _("referenced by another record (a root cause, a report)")))
        return
    model_save(tombstone, actor=actor, lookups=False)
    events.purge_event(incident=incident, actor=actor, tombstones=[tombstone])
    result.purged.append(tombstone)
    transaction.on_commit(lambda: storage.delete(file_name) if file_name else None)
