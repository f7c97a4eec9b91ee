"""Serializers of the post-incident review API: the review with its computed (or frozen)
timeline, root cause and documentation check; the lessons a person may write; the moves; the
process or policy update raised as a CAPA."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField

from ... import selectors
from ...choices import ActionType, Horizon, ProcessFollowed, ReviewStatus, ReviewUpdateKind
from ...models import PostIncidentReview, ReviewAction


class TimelineSerializer(serializers.Serializer):
    began = serializers.DateTimeField(allow_null=True)
    began_estimated = serializers.BooleanField(
        help_text="False when no failure start was estimated: detection stands in."
    )
    detected = serializers.DateTimeField(allow_null=True)
    contained = serializers.DateTimeField(allow_null=True)
    resolved = serializers.DateTimeField(allow_null=True)
    closed = serializers.DateTimeField(allow_null=True)
    time_to_detect_seconds = serializers.IntegerField(allow_null=True)
    time_to_contain_seconds = serializers.IntegerField(allow_null=True)
    time_to_resolve_seconds = serializers.IntegerField(allow_null=True)
    total_seconds = serializers.IntegerField(allow_null=True)


class ReviewEvidenceSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    note = serializers.CharField(allow_blank=True)


class ReviewRootCauseSerializer(serializers.Serializer):
    category = serializers.CharField()
    category_display = serializers.CharField()
    statement = serializers.CharField()
    contributing_factors = serializers.CharField(allow_blank=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    evidence = ReviewEvidenceSerializer(many=True)


class DocumentationItemSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="validation_status, incident_link, model_card or rollback_logged"
    )
    system = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField()


class ReviewFactsSerializer(serializers.Serializer):
    timeline = TimelineSerializer()
    root_cause = ReviewRootCauseSerializer(allow_null=True)
    rollback_done = serializers.BooleanField()
    documentation = DocumentationItemSerializer(many=True)
    documentation_complete = serializers.BooleanField()
    frozen = serializers.BooleanField(
        help_text="True once submitted or approved: the values frozen then, not recomputed."
    )


class ReviewActionSerializer(serializers.ModelSerializer):
    capa = serializers.IntegerField(source="capa_id")
    capa_reference = serializers.CharField(source="capa.reference")
    title = serializers.CharField(source="capa.title")
    action_type = serializers.ChoiceField(source="capa.action_type", choices=ActionType.choices)
    owner = serializers.StringRelatedField(source="capa.owner")
    due_at = serializers.DateTimeField(source="capa.due_at")

    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "update_kind",
            "capa",
            "capa_reference",
            "title",
            "action_type",
            "owner",
            "due_at",
        ]


class ReviewSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    status = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    process_followed = serializers.ChoiceField(
        choices=ProcessFollowed.choices, allow_blank=True, read_only=True
    )
    submitted_by = serializers.StringRelatedField(allow_null=True)
    returned_by = serializers.StringRelatedField(allow_null=True)
    approved_by = serializers.StringRelatedField(allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, default=False)
    facts = serializers.SerializerMethodField()

    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "reference",
            "incident",
            "incident_reference",
            "status",
            "opened_at",
            "due_at",
            "is_overdue",
            "root_cause_review",
            "controls_failed",
            "controls_worked",
            "process_followed",
            "process_notes",
            "caught_sooner",
            "limitation_revealed",
            "submitted_by",
            "submitted_at",
            "returned_by",
            "returned_at",
            "return_comment",
            "approved_by",
            "approved_at",
            "approval_comment",
            "facts",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewFactsSerializer)
    def get_facts(self, review):
        return ReviewFactsSerializer(selectors.review_facts(review)).data


class ReviewListSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id", read_only=True)
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    status = serializers.ChoiceField(choices=ReviewStatus.choices, read_only=True)
    approved_by = serializers.StringRelatedField(allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "reference",
            "incident",
            "incident_reference",
            "status",
            "opened_at",
            "due_at",
            "is_overdue",
            "approved_by",
            "approved_at",
        ]
        read_only_fields = fields


class ReviewUpdateSerializer(serializers.Serializer):
    root_cause_review = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    controls_failed = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    controls_worked = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    process_followed = serializers.ChoiceField(
        choices=ProcessFollowed.choices, allow_blank=True, required=False
    )
    process_notes = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    caught_sooner = serializers.CharField(allow_blank=True, required=False, max_length=20000)
    limitation_revealed = serializers.BooleanField(required=False)


class ReviewCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000)


class ReviewCapaSerializer(serializers.Serializer):
    update_kind = serializers.ChoiceField(choices=ReviewUpdateKind.choices)
    action_type = serializers.ChoiceField(
        choices=ActionType.choices, help_text="corrective or preventive (a correction is refused)"
    )
    title = serializers.CharField(max_length=250)
    description = serializers.CharField(max_length=20000)
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True)
    )
    due_at = RecordedInstantField()
