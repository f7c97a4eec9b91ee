"""Incident register serializers.

Read serializers show the record (a light one for the register's rows, a full one for the
incident page); write serializers only check the shape of a request. What may be done, and the
rules behind it, are decided by ``incidents.services``: status is never writable here, it moves
only through the transition action.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.api.serializers import DeploymentSerializer, UserRefSerializer
from inventory.models import AISystem, ModelVersion
from inventory.selectors import systems_visible_to

from .. import permissions, rules, selectors, workflow
from ..choices import (
    ContainmentOption,
    DetectionSource,
    EvidenceKind,
    FailureNature,
    FailureScope,
    HarmFlag,
    IncidentType,
    Kind,
    ParticipantPart,
    Severity,
    Status,
)
from ..models import (
    AffectedSystem,
    Approval,
    ContainmentDecision,
    Evidence,
    Incident,
    Participant,
    TimelineEntry,
)
from ..services.incidents import CREATE_FIELDS, INCIDENT_FIELDS

User = get_user_model()


# --- shared pieces ------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a stable code, a message a person can act on, per-field details."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)


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
        if not text:
            self.fail("invalid")
        systems = systems_visible_to(self.context["request"].user)
        lookup = {"pk": int(text)} if text.isdigit() else {"reference__iexact": text}
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


class SystemRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AISystem
        fields = ["id", "reference", "name"]


class AffectedSystemSerializer(serializers.ModelSerializer):
    """An affected system and what was running on it when the incident was detected."""

    system = SystemRefSerializer(read_only=True)
    model_version = serializers.PrimaryKeyRelatedField(read_only=True)
    model_version_label = serializers.SerializerMethodField()
    added_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = AffectedSystem
        fields = [
            "id",
            "system",
            "model_version",
            "model_version_label",
            "deployment",
            "artifact_digest",
            "prompt_config_version",
            "training_data_version",
            "added_at",
        ]
        read_only_fields = fields

    def get_model_version_label(self, obj) -> str | None:
        return obj.model_version.version_label if obj.model_version_id else None


class ParticipantSerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True)
    part_label = serializers.CharField(source="get_part_display", read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "user", "part", "part_label", "created_at"]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    approved_by = UserRefSerializer(read_only=True)
    subject_label = serializers.CharField(source="get_subject_display", read_only=True)

    class Meta:
        model = Approval
        fields = ["id", "subject", "subject_label", "approved_by", "approved_at", "comment"]
        read_only_fields = fields


class ContainmentDecisionSerializer(serializers.ModelSerializer):
    decided_by = UserRefSerializer(read_only=True)
    option_label = serializers.CharField(source="get_option_display", read_only=True)
    fallback_version_label = serializers.SerializerMethodField()

    class Meta:
        model = ContainmentDecision
        fields = [
            "id",
            "option",
            "option_label",
            "rationale",
            "fallback_version",
            "fallback_version_label",
            "waiver",
            "decided_by",
            "decided_at",
        ]
        read_only_fields = fields

    def get_fallback_version_label(self, obj) -> str | None:
        return obj.fallback_version.version_label if obj.fallback_version_id else None


class SeveritySuggestionSerializer(serializers.Serializer):
    severity = serializers.IntegerField()
    label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    detail = serializers.CharField()


class AllowedMoveSerializer(serializers.Serializer):
    to = serializers.CharField(source="target")
    label = serializers.CharField()
    needs_reason = serializers.BooleanField()
    reason_hint = serializers.CharField()
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the guards say is still missing; empty when the move can be made now.",
    )


class MilestonesSerializer(serializers.Serializer):
    triaged_at = serializers.DateTimeField(allow_null=True)
    evidence_preserved_at = serializers.DateTimeField(allow_null=True)
    contained_at = serializers.DateTimeField(allow_null=True)
    root_cause_confirmed_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


# --- incidents: read ----------------------------------------------------------------------------


class IncidentRowSerializer(serializers.ModelSerializer):
    """A register row: what the list shows, read from ``selectors.register`` without N+1."""

    url = serializers.HyperlinkedIdentityField(view_name="incident-detail")
    severity_label = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lead = UserRefSerializer(read_only=True)
    reported_by = UserRefSerializer(read_only=True)
    systems = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "url",
            "reference",
            "title",
            "kind",
            "types",
            "severity",
            "severity_label",
            "status",
            "status_label",
            "detection_source",
            "detected_at",
            "failure_began_at",
            "lead",
            "reported_by",
            "reporter_label",
            "systems",
            "restricted",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_severity_label(self, obj) -> str | None:
        return obj.get_severity_display() if obj.severity is not None else None

    @extend_schema_field(SystemRefSerializer(many=True))
    def get_systems(self, obj):
        return SystemRefSerializer([a.system for a in obj.affected_systems.all()], many=True).data


class IncidentSerializer(IncidentRowSerializer):
    """The whole record, as the incident page shows it (``selectors.incident_page``)."""

    affected_systems = AffectedSystemSerializer(many=True, read_only=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    containment_decisions = ContainmentDecisionSerializer(many=True, read_only=True)
    links = LinkSerializer(many=True, read_only=True)
    milestones = MilestonesSerializer(source="*", read_only=True)
    evidence_count = serializers.SerializerMethodField()
    suggested_severity = serializers.SerializerMethodField()
    checklist = serializers.SerializerMethodField()
    allowed_moves = serializers.SerializerMethodField()

    class Meta(IncidentRowSerializer.Meta):
        fields = [
            *IncidentRowSerializer.Meta.fields,
            "description",
            "failure_nature",
            "scope",
            "affected_inputs",
            "affected_systems",
            "outputs_affected_estimate",
            "individuals_affected_estimate",
            "individuals_affected_confirmed",
            "individuals_affected_lower",
            "individuals_affected_upper",
            "decisions_affected_pct",
            "financial_impact_estimate",
            "financial_impact_currency",
            "harm_flags",
            "reputational_risk",
            "jurisdictions",
            "links",
            "milestones",
            "verification_note",
            "closing_summary",
            "rejection_reason",
            "participants",
            "approvals",
            "containment_decisions",
            "evidence_count",
            "suggested_severity",
            "checklist",
            "allowed_moves",
        ]
        read_only_fields = fields

    def get_evidence_count(self, obj) -> int:
        return len(obj.evidence.all())

    @extend_schema_field(SeveritySuggestionSerializer)
    def get_suggested_severity(self, obj):
        suggestion = rules.suggest_severity(rules.facts_of(obj))
        return {
            "severity": int(suggestion.severity),
            "label": str(suggestion.label),
            "reasons": suggestion.reasons,
        }

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, obj):
        return ChecklistItemSerializer(selectors.checklist(obj), many=True).data

    @extend_schema_field(AllowedMoveSerializer(many=True))
    def get_allowed_moves(self, obj):
        """The moves open from the current status — shown only to those who move the lifecycle."""
        request = self.context.get("request")
        if request is None or not permissions.can_manage_incident(request.user, obj):
            return []
        moves = [
            {
                "target": move.target,
                "label": move.label,
                "needs_reason": move.needs_reason,
                "reason_hint": move.reason_hint,
                "missing": workflow.failing_guards(move, obj),
            }
            for move in workflow.moves_from(obj.status)
        ]
        return AllowedMoveSerializer(moves, many=True).data


class IncidentBriefSerializer(serializers.ModelSerializer):
    """Enough to recognise a similar past incident; no related rows."""

    url = serializers.HyperlinkedIdentityField(view_name="incident-detail")
    severity_label = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "url",
            "reference",
            "title",
            "kind",
            "status",
            "severity",
            "severity_label",
            "detected_at",
        ]
        read_only_fields = fields

    def get_severity_label(self, obj) -> str | None:
        return obj.get_severity_display() if obj.severity is not None else None


# --- incidents: write ---------------------------------------------------------------------------


class _IncidentFieldsSerializer(serializers.ModelSerializer):
    """The editable facts of an incident, typed for the API. Rules are the service's."""

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

    detected_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
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


class ContainmentSerializer(serializers.Serializer):
    option = serializers.ChoiceField(choices=ContainmentOption.choices)
    rationale = serializers.CharField(max_length=10000)
    fallback_version = serializers.PrimaryKeyRelatedField(
        queryset=ModelVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="Option A only: the known-good model version of an affected system.",
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


# --- timeline -----------------------------------------------------------------------------------


class TimelineEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="status, severity, decision, approval, evidence, note, …"
    )
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = UserRefSerializer(read_only=True)
    actor_display = serializers.CharField(read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "kind", "kind_label", "at", "actor", "actor_display", "summary", "data"]
        read_only_fields = fields


# --- evidence -----------------------------------------------------------------------------------


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    kind = EvidenceKindField()
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10000
    )
    period_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    period_end = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EvidencePeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(source="period_start", allow_null=True)
    end = serializers.DateTimeField(source="period_end", allow_null=True)


class EvidenceSerializer(serializers.ModelSerializer):
    """A preserved file: what it is, its hash, and where to download it (hash re-checked)."""

    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    kind = EvidenceKindField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    period = EvidencePeriodSerializer(source="*", read_only=True)
    captured_by = UserRefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "incident",
            "incident_reference",
            "original_name",
            "kind",
            "kind_label",
            "description",
            "sha256",
            "size",
            "media_type",
            "period",
            "captured_by",
            "captured_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        path = reverse("evidence-download", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


# --- recent changes -----------------------------------------------------------------------------


class RecentChangesSerializer(serializers.Serializer):
    """An affected system's change-log entries in the days before detection."""

    system = SystemRefSerializer()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    deployments = DeploymentSerializer(many=True)
