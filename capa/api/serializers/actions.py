"""Serializers of the CAPA API: read shapes, and write shapes that name only what a person
may set (never the status, the reference or the verification)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField
from incidents.api.serializers.errors import ErrorSerializer

from ...choices import ActionStatus, CheckResult, FindingStatus, RootCauseCategory
from ...models import ActionEvidence, CorrectiveAction, EffectivenessCheck, Finding, NoCapaDecision

__all__ = ["ErrorSerializer"]


def _people():
    return get_user_model().objects.filter(is_active=True)


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="incident.id")
    reference = serializers.CharField(source="incident.reference")


class AnsweredRootCauseSerializer(serializers.Serializer):
    """The confirmed root cause a CAPA answers."""

    id = serializers.IntegerField()
    incident = serializers.IntegerField(source="incident_id")
    category = serializers.ChoiceField(choices=RootCauseCategory.choices)
    statement = serializers.CharField()


class EffectivenessCheckSerializer(serializers.ModelSerializer):
    verified_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = EffectivenessCheck
        fields = [
            "criterion",
            "method",
            "due_at",
            "result",
            "result_note",
            "verified_by",
            "verified_at",
        ]


class CapaSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    implementer = serializers.StringRelatedField(allow_null=True)
    owner_id = serializers.IntegerField(read_only=True)
    implementer_id = serializers.IntegerField(read_only=True, allow_null=True)
    incidents = IncidentRefSerializer(source="links", many=True, read_only=True)
    finding = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    follows = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    # Empty until a category is chosen: blank is one of its values.
    root_cause_category = serializers.ChoiceField(
        choices=RootCauseCategory.choices, allow_blank=True, read_only=True
    )
    root_cause = AnsweredRootCauseSerializer(read_only=True, allow_null=True)
    effectiveness_check = EffectivenessCheckSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, default=False)
    possibly_ineffective = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text="An incident the CAPA answers recurred (same system, same root-cause "
        "category) and the CAPA is not cancelled: its effect is in doubt.",
    )

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "reference",
            "action_type",
            "source",
            "source_detail",
            "finding",
            "incidents",
            "root_cause",
            "root_cause_category",
            "title",
            "description",
            "owner",
            "owner_id",
            "implementer",
            "implementer_id",
            "horizon",
            "due_at",
            "status",
            "follows",
            "implementation_note",
            "implemented_at",
            "verified_at",
            "cancel_reason",
            "effectiveness_check",
            "is_overdue",
            "possibly_ineffective",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CapaCreateSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_people())
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=_people(), required=False, allow_null=True
    )
    due_at = RecordedInstantField(required=False, allow_null=True)
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=50,
        help_text="Ids of the incidents the CAPA answers.",
    )
    finding = serializers.PrimaryKeyRelatedField(
        queryset=Finding.objects.all(), required=False, allow_null=True
    )
    follows = serializers.PrimaryKeyRelatedField(
        queryset=CorrectiveAction.objects.all(), required=False, allow_null=True
    )
    root_cause = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        help_text="Id of the confirmed root cause of one of the incidents that the CAPA answers. "
        "Empty: the first incident's confirmed root cause. The category follows it.",
    )
    root_cause_category = serializers.ChoiceField(
        choices=RootCauseCategory.choices, required=False, allow_blank=True
    )
    suggestion = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="A playbook suggestion key for the root-cause category (see capa-suggestions).",
    )
    title = serializers.CharField(max_length=250, required=False)
    description = serializers.CharField(max_length=20000, required=False)
    action_type = serializers.ChoiceField(
        choices=CorrectiveAction._meta.get_field("action_type").choices, required=False
    )
    horizon = serializers.ChoiceField(
        choices=CorrectiveAction._meta.get_field("horizon").choices, required=False
    )

    class Meta:
        model = CorrectiveAction
        fields = [
            "action_type",
            "source",
            "source_detail",
            "finding",
            "follows",
            "incidents",
            "root_cause",
            "root_cause_category",
            "suggestion",
            "title",
            "description",
            "owner",
            "implementer",
            "horizon",
            "due_at",
        ]
        extra_kwargs = {"source": {"required": False}}


class CapaUpdateSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(queryset=_people(), required=False)
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=_people(), required=False, allow_null=True
    )
    due_at = RecordedInstantField(required=False)

    class Meta:
        model = CorrectiveAction
        fields = [
            "action_type",
            "source_detail",
            "root_cause_category",
            "title",
            "description",
            "owner",
            "implementer",
            "horizon",
            "due_at",
            "implementation_note",
        ]
        extra_kwargs = {name: {"required": False} for name in fields}


class CapaTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ActionStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CheckPlanSerializer(serializers.Serializer):
    criterion = serializers.CharField(max_length=5000)
    method = serializers.CharField(max_length=5000)
    due_at = RecordedInstantField(required=False, allow_null=True)


class CheckResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[CheckResult.PASSED, CheckResult.FAILED])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class ActionEvidenceSerializer(serializers.ModelSerializer):
    captured_by = serializers.StringRelatedField()

    class Meta:
        model = ActionEvidence
        fields = [
            "id",
            "original_name",
            "description",
            "sha256",
            "size",
            "media_type",
            "captured_by",
            "captured_at",
        ]
        read_only_fields = fields


class CapaEvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SuggestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    action_type = serializers.CharField()
    horizon = serializers.CharField()


class NoCapaDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = NoCapaDecision
        fields = ["reason", "decided_by", "decided_at"]
        read_only_fields = ["decided_by", "decided_at"]
        extra_kwargs = {"reason": {"max_length": 5000}}


class FindingSerializer(serializers.ModelSerializer):
    raised_by = serializers.StringRelatedField()
    closed_by = serializers.StringRelatedField(allow_null=True)
    capas = serializers.SlugRelatedField(
        source="actions", slug_field="reference", many=True, read_only=True
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "reference",
            "audit_kind",
            "audit_reference",
            "classification",
            "clause",
            "title",
            "description",
            "objective_evidence",
            "auditee_response",
            "correction_deadline",
            "status",
            "closure_decision",
            "raised_by",
            "closed_by",
            "closed_at",
            "capas",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FindingWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = [
            "audit_kind",
            "audit_reference",
            "classification",
            "clause",
            "title",
            "description",
            "objective_evidence",
            "auditee_response",
            "correction_deadline",
        ]


class FindingTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=FindingStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
