"""Serializer fields and query-parameter readers the apps' APIs share."""

import re

from rest_framework import serializers

from aims.core.instants import validate_recorded_instant

_ID = re.compile(r"[0-9]{1,18}")


def as_id(value) -> int | None:
    """A database id written in ASCII digits (``"42"``), else None.

    ``str.isdigit`` also accepts ``"²"`` and other digits ``int()`` cannot read, and an id past
    the 64-bit range would fail in the database; neither names any row.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and _ID.fullmatch(value.strip()):
        number = int(value.strip())
        return number if 0 < number < 2**63 else None
    return None


class RecordedInstantField(serializers.DateTimeField):
    """When something happened: ISO 8601, from 1970 and before 2100 (``aims.core.instants``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_recorded_instant)
