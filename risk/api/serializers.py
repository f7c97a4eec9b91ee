"""Serializers of the risk API: read shapes, and write shapes whose validated data goes to
``risk.services`` unchanged. Status, scores, bands and the methodology version are read-only:
they move through the lifecycle and are computed from the ratings."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from inventory.models import AISystem

from ..choices import Applicability, ImplementationStatus, RiskCategory, RiskStatus, Treatment
from ..models import (
    ApplicabilityStatement,
    Control,
    EvidenceLink,
    Risk,
    RiskAcceptance,
    RiskEntry,
    RiskIncidentLink,
    RiskMethodology,
    RiskTag,
)


def _level():
    return serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)


class RiskSystemRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="system.pk")
    reference = serializers.CharField(source="system.reference")
    name = serializers.CharField(source="system.name")


class RiskSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.get_username", read_only=True)
    methodology_version = serializers.IntegerField(source="methodology.version", read_only=True)
    needs_reassessment = serializers.SerializerMethodField()
    systems = RiskSystemRefSerializer(source="risk_systems", many=True, read_only=True)
    controls = serializers.SerializerMethodField()

    class Meta:
        model = Risk
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "cause",
            "consequence",
            "category",
            "tags",
            "owner",
            "owner_name",
            "status",
            "methodology_version",
            "needs_reassessment",
            "inherent_likelihood",
            "inherent_impact",
            "inherent_score",
            "inherent_band",
            "treatment",
            "treatment_plan",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "residual_band",
            "next_review_date",
            "last_reviewed_at",
            "systems",
            "controls",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_needs_reassessment(self, risk) -> bool:
        in_force = self.context.get("in_force_id")
        return in_force is not None and risk.methodology_id != in_force

    def get_controls(self, risk) -> list[str]:
        return [rc.control.code for rc in risk.risk_controls.all()]


class RiskWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=250)
    description = serializers.CharField()
    cause = serializers.CharField(required=False, allow_blank=True)
    consequence = serializers.CharField(required=False, allow_blank=True)
    category = serializers.ChoiceField(choices=RiskCategory.choices)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=30
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True)
    )
    systems = serializers.PrimaryKeyRelatedField(
        queryset=AISystem.objects.all(), many=True, required=False
    )
    controls = serializers.SlugRelatedField(
        slug_field="code", queryset=Control.objects.all(), many=True, required=False
    )
    inherent_likelihood = _level()
    inherent_impact = _level()
    treatment = serializers.ChoiceField(choices=Treatment.choices, required=False, allow_blank=True)
    treatment_plan = serializers.CharField(required=False, allow_blank=True)
    residual_likelihood = _level()
    residual_impact = _level()
    next_review_date = serializers.DateField(required=False, allow_null=True)


class RiskTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=RiskStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RiskReviewSerializer(serializers.Serializer):
    next_review_date = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RiskEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, read_only=True)

    class Meta:
        model = RiskEntry
        fields = ["at", "kind", "summary", "actor", "data"]


class RiskAcceptanceSerializer(serializers.ModelSerializer):
    accepted_by = serializers.CharField(source="accepted_by.get_username", read_only=True)
    methodology_version = serializers.IntegerField(source="methodology.version", read_only=True)

    class Meta:
        model = RiskAcceptance
        fields = [
            "accepted_by",
            "accepted_at",
            "rationale",
            "residual_likelihood",
            "residual_impact",
            "residual_score",
            "band",
            "methodology_version",
            "revoked_at",
        ]


class LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=5)
    name = serializers.CharField(max_length=60)
    definition = serializers.CharField(max_length=1000)


class BandSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=20)
    label = serializers.CharField(max_length=60)
    min_score = serializers.IntegerField(min_value=1, max_value=25)
    max_score = serializers.IntegerField(min_value=1, max_value=25)
    accept_roles = serializers.ListField(child=serializers.CharField(max_length=30), default=list)


class MethodologySerializer(serializers.ModelSerializer):
    likelihood_scale = LevelSerializer(many=True)
    impact_scale = LevelSerializer(many=True)
    bands = BandSerializer(many=True)

    class Meta:
        model = RiskMethodology
        fields = [
            "id",
            "version",
            "title",
            "status",
            "likelihood_scale",
            "impact_scale",
            "bands",
            "acceptance_threshold",
            "notes",
            "approved_by",
            "approved_at",
            "superseded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MethodologyWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    likelihood_scale = LevelSerializer(many=True, required=False)
    impact_scale = LevelSerializer(many=True, required=False)
    bands = BandSerializer(many=True, required=False)
    acceptance_threshold = serializers.IntegerField(min_value=1, max_value=25, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskTag
        fields = ["code", "label", "scheme", "description", "source", "verified"]


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApplicabilityStatement
        fields = [
            "applicability",
            "justification",
            "implementation_status",
            "owner",
            "notes",
            "decided_by",
            "decided_at",
            "updated_at",
        ]
        read_only_fields = fields


class StatementWriteSerializer(serializers.Serializer):
    applicability = serializers.ChoiceField(choices=Applicability.choices, required=False)
    justification = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    implementation_status = serializers.ChoiceField(
        choices=ImplementationStatus.choices, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ControlSerializer(serializers.ModelSerializer):
    statement = StatementSerializer(read_only=True)

    class Meta:
        model = Control
        fields = ["id", "code", "title", "objective_code", "objective_title", "source", "statement"]
        read_only_fields = fields


class EvidenceLinkSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="target_type.model", read_only=True)

    class Meta:
        model = EvidenceLink
        fields = ["id", "kind", "target_id", "target_label", "record_date", "note", "linked_by"]
        read_only_fields = fields


class EvidenceLinkWriteSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=40)
    target_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class EvidenceRecordSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    date = serializers.DateField()
    target_id = serializers.IntegerField()


class EvidenceMapRowSerializer(serializers.Serializer):
    code = serializers.CharField(source="control.code")
    title = serializers.CharField(source="control.title")
    applicability = serializers.CharField(source="statement.applicability")
    latest = serializers.DateField(allow_null=True)
    gap = serializers.BooleanField()
    records = EvidenceRecordSerializer(many=True)


class IncidentRiskLinkSerializer(serializers.ModelSerializer):
    risk = serializers.CharField(source="risk.reference", read_only=True)
    risk_id = serializers.IntegerField(source="risk.pk", read_only=True)
    incident = serializers.CharField(source="incident.reference", read_only=True)
    linked_by = serializers.CharField(source="linked_by.get_username", read_only=True)

    class Meta:
        model = RiskIncidentLink
        fields = [
            "id",
            "risk",
            "risk_id",
            "incident",
            "kind",
            "reason",
            "old_rating",
            "new_rating",
            "linked_by",
            "linked_at",
        ]
        read_only_fields = fields


class IncidentRiskMaterialisedSerializer(serializers.Serializer):
    risk = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class IncidentRiskRerateSerializer(serializers.Serializer):
    risk = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all())
    which = serializers.ChoiceField(choices=[("inherent", "inherent"), ("residual", "residual")])
    likelihood = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)
    reason = serializers.CharField(max_length=5000)


class IncidentRiskRaiseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=250)
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=RiskCategory.choices)
    inherent_likelihood = _level()
    inherent_impact = _level()
