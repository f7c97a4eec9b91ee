"""Records whose history belongs on another record's History page, without the audit app
naming them: a module that keeps facts about a record in a table of its own (the disclosure
facts of an AI system, say) registers them in its ``AppConfig.ready()``, and the record's
History page lists their changes with its own, each marked with what it was a change of."""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class RelatedHistory:
    model: type  # the record whose History page shows the changes
    related: type  # the audited model the changes are of
    lookup: str  # the field of ``related`` holding the record's pk, e.g. "system_id"
    label: str  # what the changes are of, as people say it ("disclosure facts")


_RELATED: dict[tuple[str, str], RelatedHistory] = {}


def register_related_history(*entries: RelatedHistory) -> None:
    for entry in entries:
        _RELATED[(entry.model._meta.label_lower, entry.related._meta.label_lower)] = entry


def related_histories(model) -> list[RelatedHistory]:
    label = model._meta.label_lower
    return [entry for (owner, _related), entry in _RELATED.items() if owner == label]
