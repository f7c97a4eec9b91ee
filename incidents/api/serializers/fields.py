"""Fields the incident serializers share: AI system references, severities, enums."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aims.core.api.fields import as_id
from inventory.selectors import systems_visible_to

from ...choices import EvidenceKind, Severity, Status


class LinkSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=2000)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "AI system id"},
            {"type": "string", "description": "AI system reference", "example": "AIS-0001"},
        ]
    }
)
class SystemRefField(serializers.Field):
    """An AI system named by its id (``7``) or its reference (``"AIS-0007"``)."""

    default_error_messages = {
        "unknown": _("No AI system {value}."),
        "invalid": _("Name an AI system by its id or its reference (e.g. AIS-0001)."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not text or "\x00" in text or len(text) > 100:
            self.fail("invalid")
        systems = systems_visible_to(self.context["request"].user)
        pk = as_id(data)
        lookup = {"pk": pk} if pk is not None else {"reference__iexact": text}
        system = systems.filter(**lookup).first()
        if system is None:
            self.fail("unknown", value=text)
        return system

    def to_representation(self, value):
        return value.reference


def _inline_enum(choices) -> dict:
    return {"type": "string", "enum": list(choices.values)}


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(EvidenceKind.values) + ")$",
        "description": "One of: " + ", ".join(EvidenceKind.values) + ".",
    }
)
class EvidenceKindField(serializers.ChoiceField):
    """Evidence kinds. Documented by pattern, not enum: the schema's enum components are named
    by field name, and ``kind`` already names the incident's kind (incident / near miss)."""

    def __init__(self, **kwargs):
        super().__init__(choices=EvidenceKind.choices, **kwargs)


@extend_schema_field(_inline_enum(Status))
class TargetStatusField(serializers.ChoiceField):
    """The status to move to, documented inline (the same choices as ``status``)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Status.choices, **kwargs)


class SeverityField(serializers.ChoiceField):
    """A severity as 0-3; ``"P0"``-``"P3"`` are accepted too."""

    def __init__(self, **kwargs):
        super().__init__(choices=Severity.choices, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip().upper()[:1] == "P":
            data = data.strip()[1:]
        return int(super().to_internal_value(data))
