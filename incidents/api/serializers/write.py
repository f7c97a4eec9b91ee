"""Request bodies: filing and editing an incident, and one body per lifecycle action.

They check only the shape of a request. What may be done, and the rules behind it, are decided by
``incidents.services``: status is never writable here, it moves only through the transition
action.
"""

from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField
from inventory.models import ModelVersion

from ...choices import (
    ContainmentOption,
    DetectionSource,
    FailureNature,
    FailureScope,
    HarmFlag,
    IncidentType,
    Kind,
    ParticipantPart,
)
from ...models import AtlasTechnique, Incident
from ...services.incidents import CREATE_FIELDS, INCIDENT_FIELDS
from .fields import LinkSerializer, SeverityField, SystemRefField, TargetStatusField

User = get_user_model()


class _IncidentFieldsSerializer(serializers.ModelSerializer):
    """The editable facts of an incident, typed for the API. Rules are the service's."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: RecordedInstantField,
    }

    types = serializers.ListField(
        child=serializers.ChoiceField(choices=IncidentType.choices), required=False
    )
    harm_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=HarmFlag.choices), required=False
    )
    jurisdictions = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False
    )
    links = LinkSerializer(many=True, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    failure_nature = serializers.ChoiceField(
        choices=FailureNature.choices, required=False, allow_blank=True
    )
    scope = serializers.ChoiceField(choices=FailureScope.choices, required=False, allow_blank=True)
    detection_source = serializers.ChoiceField(
        choices=DetectionSource.choices, required=False, allow_blank=True
    )
    atlas_techniques = serializers.SlugRelatedField(
        slug_field="atlas_id",
        queryset=AtlasTechnique.objects.all(),
        many=True,
        required=False,
        help_text='MITRE ATLAS technique IDs, e.g. ["AML.T0051"] (the catalogue: GET /api/v1/atlas/). '
        "The list replaces the incident's techniques.",
        error_messages={
            "does_not_exist": _(
                "No MITRE ATLAS technique has the ID {value}: IDs look like AML.T0051 or "
                "AML.T0051.000 (see GET /api/v1/atlas/)."
            ),
            "invalid": _("A MITRE ATLAS technique ID is a string such as AML.T0051."),
        },
    )

    # Fields that look editable but move only through their own action: naming one in the body
    # is answered with where to go instead of being silently ignored.
    moved_elsewhere = {
        "status": _("Status moves only through POST …/incidents/{id}/transition/ with a reason."),
        "severity": _("Severity changes through POST …/incidents/{id}/severity/ with a reason."),
        "lead": _("The lead is assigned through POST …/incidents/{id}/lead/."),
        "reference": _("The reference is allocated when the incident is filed and never changes."),
    }

    class Meta:
        model = Incident
        # Cross-field rules (constraints, clean()) are enforced once, by the service.
        validators = []

    def validate(self, attrs):
        initial = self.initial_data if hasattr(self.initial_data, "keys") else {}
        named = {
            name: [message]
            for name, message in self.moved_elsewhere.items()
            if name in initial and name not in self.fields
        }
        if named:
            raise serializers.ValidationError(named)
        return attrs

    def validate_links(self, value):
        return [dict(link) for link in value]


class IncidentCreateSerializer(_IncidentFieldsSerializer):
    """Filing an incident or near miss, e.g. from a pipeline or an alert."""

    detected_at = RecordedInstantField(required=False, help_text="Defaults to now.")
    systems = serializers.ListField(
        child=SystemRefField(),
        required=False,
        help_text="Affected AI systems, by id or reference (AIS-0001). Each is pinned to the "
        "model version in production when the incident was detected.",
    )
    severity = SeverityField(
        required=False,
        allow_null=True,
        help_text="Initial severity (0 = P0 … 3 = P3). Leave out to let triage decide.",
    )
    severity_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, write_only=True
    )

    class Meta(_IncidentFieldsSerializer.Meta):
        fields = [*sorted(CREATE_FIELDS), "systems", "severity", "severity_reason"]

    def validate_systems(self, value):
        unique = []
        for system in value:
            if system not in unique:
                unique.append(system)
        return unique


class IncidentUpdateSerializer(_IncidentFieldsSerializer):
    """Editing the record. Status, severity, lead and reference have their own actions."""

    class Meta(_IncidentFieldsSerializer.Meta):
        fields = sorted(INCIDENT_FIELDS)


class TransitionSerializer(serializers.Serializer):
    to = TargetStatusField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class SeverityChangeSerializer(serializers.Serializer):
    severity = SeverityField()
    reason = serializers.CharField(max_length=2000)


class NoteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)


class NotificationRecordSerializer(serializers.Serializer):
    """A notification made outside the product (a call, a page, a chat message)."""

    recipients = serializers.CharField(max_length=300)
    channel = serializers.CharField(max_length=120)
    summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    leadership = serializers.BooleanField(
        required=False,
        default=False,
        help_text="This was the leadership notice (board for P0, executives for P1).",
    )


class ContainmentSerializer(serializers.Serializer):
    option = serializers.ChoiceField(choices=ContainmentOption.choices)
    rationale = serializers.CharField(max_length=10000)
    fallback_version = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="Option A only: the known-good model version of an affected system.",
    )
    move_registry_alias = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Option A with a version imported from a linked MLflow registry: also move the "
            "production alias back to it (after commit, verified by reading it back)."
        ),
    )


class WaiverSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class LeadSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class ParticipantAddSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    part = serializers.ChoiceField(choices=ParticipantPart.choices)


class AddSystemSerializer(serializers.Serializer):
    system = SystemRefField(help_text="The AI system, by id or reference (AIS-0001).")


class SimilarQuerySerializer(serializers.Serializer):
    """The query of ``GET …/incidents/similar/``: text, systems (id or reference), one to leave
    out."""

    q = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    system = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )
    exclude = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
