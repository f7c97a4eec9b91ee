"""What the API shows of an incident: a register row, the whole record, a brief match.

Read from ``incidents.selectors`` with their related rows prefetched; nothing here writes.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inventory.api.serializers import UserRefSerializer
from inventory.models import AISystem

from ... import permissions, rules, selectors, workflow
from ...choices import DetectionSource, FailureNature, FailureScope
from ...models import (
    AffectedSystem,
    Approval,
    ContainmentDecision,
    Incident,
    Participant,
    RegistryRollback,
)
from .fields import LinkSerializer


class SystemRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = AISystem
        fields = ["id", "reference", "name"]


class AffectedSystemSerializer(serializers.ModelSerializer):
    """An affected system and what was running on it when the incident was detected."""

    system = SystemRefSerializer(read_only=True)
    model_version = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
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


class RegistryRollbackSerializer(serializers.ModelSerializer):
    """Containment option A carried out in the model registry, and how far it got."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    to_version_label = serializers.CharField(source="to_version.version_label", read_only=True)
    to_registry_version = serializers.CharField(
        source="to_version.registry_version", read_only=True
    )
    from_version_label = serializers.SerializerMethodField()
    change_reference = serializers.SerializerMethodField()

    class Meta:
        model = RegistryRollback
        fields = [
            "id",
            "decision",
            "status",
            "status_label",
            "from_version",
            "from_version_label",
            "to_version",
            "to_version_label",
            "to_registry_version",
            "tries",
            "error_message",
            "verified_at",
            "deployment",
            "change_reference",
            "created_at",
        ]
        read_only_fields = fields

    def get_from_version_label(self, obj) -> str | None:
        return obj.from_version.version_label if obj.from_version_id else None

    def get_change_reference(self, obj) -> str | None:
        return obj.deployment.change_reference if obj.deployment_id else None


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


class AtlasTechniqueRefSerializer(serializers.Serializer):
    """A MITRE ATLAS technique as a record names it: its ID and name."""

    id = serializers.CharField(source="atlas_id", read_only=True)
    name = serializers.CharField(read_only=True)


class IncidentRowSerializer(serializers.ModelSerializer):
    """A register row: what the list shows, read from ``selectors.register`` without N+1."""

    url = serializers.HyperlinkedIdentityField(view_name="incident-detail")
    severity_label = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lead = UserRefSerializer(read_only=True, allow_null=True)
    reported_by = UserRefSerializer(read_only=True, allow_null=True)
    detection_source = serializers.ChoiceField(
        choices=DetectionSource.choices, allow_blank=True, read_only=True
    )
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

    failure_nature = serializers.ChoiceField(
        choices=FailureNature.choices, allow_blank=True, read_only=True
    )
    scope = serializers.ChoiceField(choices=FailureScope.choices, allow_blank=True, read_only=True)
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
    atlas_techniques = serializers.SerializerMethodField()

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
            "scenario_note",
            "atlas_techniques",
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

    @extend_schema_field(AtlasTechniqueRefSerializer(many=True))
    def get_atlas_techniques(self, obj):
        return AtlasTechniqueRefSerializer(
            [link.technique for link in obj.technique_links.all()], many=True
        ).data

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
