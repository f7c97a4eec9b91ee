"""How the clock mechanism talks to the records clocks run on, without importing their apps.

Each module that owns clocks registers its model once (in ``AppConfig.ready``): how to name a
pseudo-role's people for a record (``system_owner`` of an incident, say), how to describe and
link the record in a notification, and what to write on the record when a notification goes out.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model


@dataclass(frozen=True)
class ClockTarget:
    resolve_role: Callable[[Model, str], list]
    describe: Callable[[Model], tuple[str, str]]
    record_delivery: Callable[[Model, object, object], None] | None = None


_TARGETS: dict[str, ClockTarget] = {}


def register_target(model: type[Model], target: ClockTarget) -> None:
    _TARGETS[model._meta.label_lower] = target


def target_for(model: type[Model]) -> ClockTarget | None:
    return _TARGETS.get(model._meta.label_lower)
