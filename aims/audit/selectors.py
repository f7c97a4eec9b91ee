"""Reads of the audit history: an object's changes, field by field."""

from dataclasses import dataclass, field, replace

from django.db import models


@dataclass
class FieldChange:
    field: str
    label: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    when: object
    who: object
    source: str
    action: str
    reason: str
    seq: int | None
    record_hash: str
    changes: list[FieldChange] = field(default_factory=list)
    subject: str = ""  # set on a related record's change: what it was a change of


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
UNTRACKED_FIELDS = frozenset({"created_at", "updated_at"})


def display_value(model, field_name, value, fk_names):
    """A recorded value as people read it: choices by label, foreign keys by name."""
    if value in (None, ""):
        return "—"
    try:
        f = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001 - field removed since; show the raw value
        return value
    if isinstance(f, models.ForeignKey):
        return fk_names.get((f.related_model, value), f"#{value}")
    if getattr(f, "choices", None):
        mapping = dict(f.flatchoices)
        if isinstance(value, list):
            return ", ".join(str(mapping.get(v, v)) for v in value)
        return mapping.get(value, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return value


def field_changes(model, previous, record, *, exclude=UNTRACKED_FIELDS) -> list[tuple]:
    """``(field, old, new)`` for each field that differs between two history records of one
    object; with no previous record, the fields it was created with (empty ones left out)."""
    changes = []
    for f in model._meta.concrete_fields:
        if f.name in exclude:
            continue
        new = getattr(record, f.attname, None)
        if previous is None:
            if new not in (None, "", [], False):
                changes.append((f, None, new))
            continue
        old = getattr(previous, f.attname, None)
        if old != new:
            changes.append((f, old, new))
    return changes


def object_history(obj, *, limit: int = 500) -> list[HistoryEntry]:
    """Newest first. Two queries for the records and one per referenced model for names."""
    model = type(obj)
    records = list(
        obj.history.select_related("history_user").order_by("history_date", "history_id")[:limit]
    )
    pairs = []
    previous = None
    for record in records:
        pairs.append((record, field_changes(model, previous, record)))
        previous = record

    wanted: dict[type, set] = {}
    for _record, changes in pairs:
        for f, old, new in changes:
            if isinstance(f, models.ForeignKey):
                wanted.setdefault(f.related_model, set()).update(
                    v for v in (old, new) if v is not None
                )
    fk_names = {}
    for related, pks in wanted.items():
        for item in related._default_manager.filter(pk__in=pks):
            fk_names[(related, item.pk)] = str(item)

    entries = []
    for record, changes in pairs:
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                source=record.get_source_display(),
                action=ACTIONS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                seq=record.chain_seq,
                record_hash=record.record_hash,
                changes=[
                    FieldChange(
                        field=f.name,
                        label=str(f.verbose_name),
                        old=display_value(model, f.name, old, fk_names),
                        new=display_value(model, f.name, new, fk_names),
                    )
                    for f, old, new in changes
                ],
            )
        )
    entries.reverse()
    return entries


def history_with_related(obj, *, limit: int = 500) -> list[HistoryEntry]:
    """The object's history and that of the records registered as part of it
    (``aims.audit.registry``), newest first, each related change marked with its label."""
    from .registry import related_histories

    entries = object_history(obj, limit=limit)
    for entry in related_histories(type(obj)):
        for related in entry.related._default_manager.filter(**{entry.lookup: obj.pk}):
            entries += [
                replace(e, subject=str(entry.label)) for e in object_history(related, limit=limit)
            ]
    entries.sort(key=lambda e: (e.when, e.seq or 0), reverse=True)
    return entries[:limit]
