"""Writing the Statement of Applicability and the evidence linked to each Annex A control."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core import visibility
from aims.core.concurrency import check_version
from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save

from .. import evidence, permissions, selectors
from ..choices import Applicability
from ..models import (
    ApplicabilityStatement,
    EvidenceLink,
)

# --- the Statement of Applicability and evidence ----------------------------------------------


SOA_FIELDS = ("applicability", "justification", "implementation_status", "owner", "notes")


@audited_write
def statement_update(
    *, actor, control, data: dict, expected_version=None
) -> ApplicabilityStatement:
    """Declare a control applicable or excluded (with its justification), its implementation
    status and owner (ISO/IEC 42001 clause 6.1.3 d)."""
    require(permissions.can_edit_soa(actor))
    statement = selectors.statement_for_update(control)
    check_version(statement, expected_version)
    unknown = set(data) - set(SOA_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s.") % ", ".join(sorted(unknown)))
    before = statement.applicability
    for name, value in data.items():
        setattr(statement, name, value)
    statement.justification = (statement.justification or "").strip()
    if statement.applicability == Applicability.EXCLUDED and not statement.justification:
        raise ValidationFailed(
            _("An excluded control needs a justification: say why it does not apply."),
            fields={"justification": [_("required when the control is excluded")]},
        )
    if statement.applicability != before:
        statement.decided_by, statement.decided_at = actor, timezone.now()
    return model_save(statement, actor=actor, lookups=False)


@audited_write
def evidence_link(*, actor, control, kind: str, target_id: int, note: str = "") -> EvidenceLink:
    """Link a record (an incident, a risk — any registered kind) that backs ``control``.
    The person must be able to see the record; the link keeps its label and date."""
    require(permissions.can_link_evidence(actor, control))
    registered = evidence.kind(kind)
    if registered is None:
        raise ValidationFailed(
            _("Unknown kind of record %(kind)s. Known kinds: %(known)s.")
            % {"kind": kind, "known": ", ".join(evidence.keys())},
            fields={"kind": [_("unknown")]},
        )
    visible = visibility.visible_queryset(actor, registered.model)
    record = (
        (visible if visible is not None else registered.model._default_manager.none())
        .filter(pk=target_id)
        .first()
    )
    if record is None:
        raise ValidationFailed(
            _("No %(kind)s with id %(id)s that you can see.") % {"kind": kind, "id": target_id},
            fields={"target_id": [_("not found")]},
        )
    target_type = ContentType.objects.get_for_model(registered.model)
    existing = EvidenceLink.objects.filter(
        control=control, target_type=target_type, target_id=record.pk
    ).first()
    if existing is not None:
        return existing  # linking twice is a retry, not a second record
    return model_save(
        EvidenceLink(
            control=control,
            target_type=target_type,
            target_id=record.pk,
            target_label=registered.label(record)[:300],
            record_date=registered.record_date(record),
            note=(note or "").strip(),
            linked_by=actor,
        ),
        actor=actor,
        lookups=False,
    )


@audited_write
def evidence_unlink(*, actor, link) -> None:
    require(permissions.can_link_evidence(actor, link.control))
    link = EvidenceLink.objects.select_for_update().get(pk=link.pk)
    link._history_user = actor
    link.delete()
