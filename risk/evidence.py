"""Which kinds of record can back an Annex A control, without the control knowing them.

A kind names its model, how the record is labelled and dated on the evidence map, and where it
lives. ``RiskConfig.ready()`` registers incidents and risks; CAPAs, impact assessments and
documents register the same way when they arrive (their apps sit below ``risk``, so the
registration is written here, not there).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db.models import Model


@dataclass(frozen=True, kw_only=True)
class EvidenceKind:
    key: str  # what the API calls it: "incident", "risk"
    model: type[Model]
    label: Callable[[Model], str]
    record_date: Callable[[Model], date]
    url: Callable[[Model], str]


_KINDS: dict[str, EvidenceKind] = {}


def register_kind(kind: EvidenceKind) -> None:
    _KINDS[kind.key] = kind


def kind(key: str) -> EvidenceKind | None:
    return _KINDS.get(key)


def kind_for_model(model) -> EvidenceKind | None:
    return next(
        (k for k in _KINDS.values() if k.model._meta.label_lower == model._meta.label_lower), None
    )


def keys() -> list[str]:
    return sorted(_KINDS)
