"""Writes of the disclosure module: one function per business action."""

from aims.core.concurrency import check_version
from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save

from . import permissions
from .models import RegimeRule

REGIME_FIELDS = frozenset(
    {
        "title",
        "trigger",
        "clock_start",
        "deadline_rule",
        "deadline_note",
        "recipient",
        "required_content",
        "source",
        "needs_legal_review",
        "applies_from",
        "applies_from_by_class",
    }
)


@audited_write
def regime_update(*, actor, regime: RegimeRule, data: dict, expected_version=None) -> RegimeRule:
    """Legal or GRC change a rule row (its code and stage are stable and never change)."""
    require(permissions.can_edit_regimes(actor))
    unknown = set(data) - REGIME_FIELDS
    if unknown:
        raise ValidationFailed(
            "These fields cannot be changed: " + ", ".join(sorted(unknown)) + ".",
            fields={name: ["not editable"] for name in sorted(unknown)},
        )
    regime = RegimeRule.objects.select_for_update().get(pk=regime.pk)
    check_version(regime, expected_version)
    for name, value in data.items():
        setattr(regime, name, value)
    return model_save(regime, actor=actor)
