"""Optimistic concurrency: a record's version is its ``updated_at``; stale edits are refused.

The API sends the version as an ``ETag`` and honours ``If-Match``; forms carry it in a hidden
field. Either way ``check_version`` raises ``StaleVersion`` (412 / a clear message) instead of
silently overwriting someone else's change.
"""

import hashlib

from .exceptions import StaleVersion


def version_of(instance) -> str:
    stamp = instance.updated_at.isoformat() if instance.updated_at else ""
    return hashlib.sha256(
        f"{instance._meta.label_lower}:{instance.pk}:{stamp}".encode()
    ).hexdigest()[:32]


def etag_of(instance) -> str:
    return f'"{version_of(instance)}"'


def check_version(instance, expected: str | None) -> None:
    """Refuse the write when ``expected`` (ETag or form version) is not the current version.

    ``None`` means the client sent no precondition: accepted (API clients may opt in).
    """
    if expected is None:
        return
    candidates = {v.strip().removeprefix("W/").strip('"') for v in expected.split(",")}
    if "*" in candidates:
        return
    if version_of(instance) not in candidates:
        raise StaleVersion()
