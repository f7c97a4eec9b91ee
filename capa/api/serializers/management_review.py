"""Serializers of the management-review API: read (with its compiled inputs) and write."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aims.core.api.fields import RecordedInstantField

from ...choices import ActionType, Horizon, ManagementReviewStatus
from ...models import ManagementReview
from .actions import _people


class ReviewCapaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()


class ManagementReviewSerializer(serializers.ModelSerializer):
    attendees = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    covered_incidents = serializers.SerializerMethodField()
    inputs = serializers.SerializerMethodField(
        help_text="The compiled inputs: live while a draft, frozen when the review is recorded "
        "(significant incidents, trend, clocks, CAPA status, findings, recurrences)."
    )
    created_by = serializers.StringRelatedField()
    recorded_by = serializers.StringRelatedField(allow_null=True)
    approved_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ManagementReview
        fields = [
            "id",
            "reference",
            "meeting_date",
            "period_start",
            "period_end",
            "status",
            "attendees",
            "other_attendees",
            "minutes",
            "decisions",
            "inputs",
            "covered_incidents",
            "actions",
            "created_by",
            "recorded_by",
            "recorded_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_attendees(self, review) -> list[str]:
        return [str(row.user) for row in review.attendance.all()]

    @extend_schema_field(ReviewCapaSerializer(many=True))
    def get_actions(self, review):
        return [
            {"id": c.pk, "reference": c.reference, "title": c.title, "status": c.status}
            for c in (row.capa for row in review.actions.all())
        ]

    def get_covered_incidents(self, review) -> list[str]:
        """References of the P0/P1 incidents the recorded review covered."""
        inputs = review.inputs or {}
        return [row["reference"] for row in inputs.get("significant", [])]

    def get_inputs(self, review) -> dict:
        from ...selectors import review_inputs_of

        return review_inputs_of(review)


class ManagementReviewListSerializer(ManagementReviewSerializer):
    """The list: the record without its compiled inputs (the detail has them)."""

    class Meta(ManagementReviewSerializer.Meta):
        fields = [
            f for f in ManagementReviewSerializer.Meta.fields if f not in ("inputs", "actions")
        ]
        read_only_fields = fields


class ManagementReviewWriteSerializer(serializers.Serializer):
    meeting_date = serializers.DateField()
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="The last day of the period.")
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=_people(), many=True, required=False, help_text="Ids of users who attended."
    )
    other_attendees = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="Attendees without an account."
    )
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=100_000)


class ManagementReviewTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ManagementReviewStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class ReviewActionSerializer(serializers.Serializer):
    """An action the review decided: raised as a CAPA with source "management review"."""

    title = serializers.CharField(max_length=250)
    description = serializers.CharField(max_length=100_000)
    action_type = serializers.ChoiceField(choices=ActionType.choices)
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=_people())
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=_people(), required=False, allow_null=True
    )
    due_at = RecordedInstantField(required=False, allow_null=True)
