"""How the clock mechanism talks to the records clocks run on, without importing their apps.

Each module that owns clocks registers, once (in ``AppConfig.ready``):

- its clock kinds (a ``TextChoices`` class: code and label), so ``Clock.kind`` and
  ``ClockPolicy.kind`` accept them and every page names them — a new module adds its kinds
  without editing or migrating ``aims.clocks``;
- its model as a clock target: how to name a pseudo-role's people for a record
  (``system_owner`` of an incident, say), how to describe and link the record in a
  notification, and what to write on the record when a notification goes out.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Model, TextChoices
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ClockTarget:
    resolve_role: Callable[[Model, str], list]
    describe: Callable[[Model], tuple[str, str]]
    record_delivery: Callable[[Model, object, object], None] | None = None
    # What a chat card (Slack, Teams) shows of the record besides its title and link:
    # ``{"reference", "severity", "status", "system"}``, any of them left out where it has none.
    card: Callable[[Model], dict] | None = None
    # Pseudo-roles an escalation step may name for this record (``system_owner`` of an
    # incident, say), resolved by ``resolve_role``; any other name is a real role.
    pseudo_roles: tuple[str, ...] = ()


_TARGETS: dict[str, ClockTarget] = {}


def register_target(model: type[Model], target: ClockTarget) -> None:
    _TARGETS[model._meta.label_lower] = target


def target_for(model: type[Model]) -> ClockTarget | None:
    return _TARGETS.get(model._meta.label_lower)


_KINDS: dict[str, object] = {}


def register_kinds(kinds: type[TextChoices]) -> None:
    """Make ``kinds`` (code -> label) known to the clock mechanism."""
    for code, label in kinds.choices:
        if code in _KINDS and str(_KINDS[code]) != str(label):
            raise ValueError(f"Clock kind {code!r} is registered twice with different labels")
        _KINDS[code] = label


def kind_choices() -> list[tuple[str, object]]:
    return sorted(_KINDS.items())


def kind_label(code: str) -> str:
    """The kind's label, or its code when no installed module registers it any more."""
    return str(_KINDS.get(code, code))


def validate_kind(value: str) -> None:
    """Model-field validator: the kind must be one a module registered."""
    if value not in _KINDS:
        raise ValidationError(
            _("Unknown clock kind %(kind)s. Known kinds: %(known)s."),
            params={"kind": value, "known": ", ".join(sorted(_KINDS))},
            code="unknown_clock_kind",
        )
