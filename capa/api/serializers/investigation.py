"""API shapes of the learning loop: read serializers of the records, and the write bodies by
the services' own argument names (status and stamps are never writable)."""

from rest_framework import serializers

from ...choices import (
    ActionStatus,
    DiagnosticMethod,
    DiagnosticOutcome,
    Horizon,
    RemediationKind,
    RootCauseCategory,
)
from ...models import (
    Diagnostic,
    Recurrence,
    RemediationItem,
    RemediationPlan,
    RootCause,
    RootCauseEvidence,
    ScopeConfirmation,
    Why,
)

MAX_COUNT = 2**31 - 1  # the columns are PostgreSQL integers
MIN_YEAR, MAX_YEAR = 1970, 2200


class BoundedDateTimeField(serializers.DateTimeField):
    """An instant in a sensible range (a year 9999 would overflow arithmetic downstream)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise serializers.ValidationError(f"Give an instant between {MIN_YEAR} and {MAX_YEAR}.")
        return parsed


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            raise serializers.ValidationError(f"Give a date between {MIN_YEAR} and {MAX_YEAR}.")
        return parsed


def _count(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=MAX_COUNT, **kwargs)


class WhySerializer(serializers.ModelSerializer):
    class Meta:
        model = Why
        fields = ["id", "position", "question", "answer", "created_at"]
        read_only_fields = fields


class DiagnosticSerializer(serializers.ModelSerializer):
    performed_by = serializers.StringRelatedField()

    class Meta:
        model = Diagnostic
        fields = [
            "id",
            "method",
            "description",
            "result",
            "outcome",
            "performed_by",
            "performed_at",
        ]
        read_only_fields = fields


class RootCauseEvidenceSerializer(serializers.ModelSerializer):
    evidence = serializers.IntegerField(source="evidence_id")
    file_name = serializers.CharField(source="evidence.original_name")
    sha256 = serializers.CharField(source="evidence.sha256")
    linked_by = serializers.StringRelatedField()

    class Meta:
        model = RootCauseEvidence
        fields = ["id", "evidence", "file_name", "sha256", "note", "linked_by", "created_at"]
        read_only_fields = fields


class AnsweringCapaSerializer(serializers.Serializer):
    """A CAPA that answers the root cause."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ActionStatus.choices)


class RootCauseSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    proposed_by = serializers.StringRelatedField()
    confirmed_by = serializers.StringRelatedField(allow_null=True)
    ruled_out_by = serializers.StringRelatedField(allow_null=True)
    whys = WhySerializer(many=True)
    diagnostics = DiagnosticSerializer(many=True)
    evidence_links = RootCauseEvidenceSerializer(many=True)
    capas = AnsweringCapaSerializer(many=True, read_only=True)

    class Meta:
        model = RootCause
        fields = [
            "id",
            "incident",
            "category",
            "statement",
            "contributing_factors",
            "status",
            "proposed_by",
            "confirmed_by",
            "confirmed_at",
            "ruled_out_reason",
            "ruled_out_by",
            "ruled_out_at",
            "whys",
            "diagnostics",
            "evidence_links",
            "capas",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RootCauseWriteSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=RootCauseCategory.choices)
    statement = serializers.CharField(max_length=20000)
    contributing_factors = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class RootCauseUpdateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=RootCauseCategory.choices, required=False)
    statement = serializers.CharField(max_length=20000, required=False)
    contributing_factors = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class WhyWriteSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=5000)
    answer = serializers.CharField(max_length=5000)


class DiagnosticWriteSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=DiagnosticMethod.choices)
    description = serializers.CharField(max_length=20000)
    result = serializers.CharField(max_length=20000)
    outcome = serializers.ChoiceField(choices=DiagnosticOutcome.choices)
    performed_at = BoundedDateTimeField(required=False)


class RootCauseEvidenceWriteSerializer(serializers.Serializer):
    evidence = serializers.IntegerField(min_value=1, max_value=MAX_COUNT)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ScopeSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    percentage = serializers.DecimalField(max_digits=6, decimal_places=3)
    recorded_by = serializers.StringRelatedField()
    confirmed_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = ScopeConfirmation
        fields = [
            "id",
            "incident",
            "status",
            "period_start",
            "period_end",
            "population",
            "classification_rule",
            "sample_size",
            "sample_failures",
            "confirmed_count",
            "percentage",
            "lower_bound",
            "upper_bound",
            "uncertainty_note",
            "recorded_by",
            "confirmed_by",
            "confirmed_at",
            "updated_at",
        ]
        read_only_fields = fields


class ScopeWriteSerializer(serializers.Serializer):
    """``confirm``: false records a best estimate (``uncertainty_note`` required), true the
    confirmed count."""

    period_start = BoundedDateTimeField()
    period_end = BoundedDateTimeField()
    population = _count()
    classification_rule = serializers.CharField(max_length=20000)
    sample_size = _count()
    sample_failures = _count()
    confirmed_count = _count()
    lower_bound = _count()
    upper_bound = _count()
    uncertainty_note = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    confirm = serializers.BooleanField()


class RemediationItemSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()
    owner_id = serializers.IntegerField()
    done_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = RemediationItem
        fields = [
            "id",
            "horizon",
            "kind",
            "description",
            "owner",
            "owner_id",
            "due_on",
            "done_at",
            "done_by",
            "done_note",
        ]
        read_only_fields = fields


class RemediationPlanSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident_id")
    remaining_cases = serializers.IntegerField()
    fix_verified_by = serializers.StringRelatedField(allow_null=True)
    restored_by = serializers.StringRelatedField(allow_null=True)
    items = RemediationItemSerializer(many=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    fix_verified_at = serializers.DateTimeField(allow_null=True)
    restored_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = RemediationPlan
        fields = [
            "incident",
            "affected_cases",
            "reprocessed_cases",
            "outcome_changed_cases",
            "remaining_cases",
            "fix_verification",
            "fix_verified_by",
            "fix_verified_at",
            "restored_note",
            "restored_by",
            "restored_at",
            "items",
            "updated_at",
        ]
        read_only_fields = fields


EMPTY_PLAN = {
    "affected_cases": 0,
    "reprocessed_cases": 0,
    "outcome_changed_cases": 0,
    "remaining_cases": 0,
    "fix_verification": "",
    "fix_verified_by": None,
    "fix_verified_at": None,
    "restored_note": "",
    "restored_by": None,
    "restored_at": None,
    "items": [],
    "updated_at": None,
}


class RemediationItemWriteSerializer(serializers.Serializer):
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    kind = serializers.ChoiceField(choices=RemediationKind.choices)
    description = serializers.CharField(max_length=20000)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_COUNT)
    due_on = BoundedDateField()


class RemediationNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class RestoreDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=20000)


class VerificationSerializer(serializers.Serializer):
    verification = serializers.CharField(max_length=20000)


class ReprocessingSerializer(serializers.Serializer):
    """``remaining_cases`` is optional; when sent it must equal affected − re-processed."""

    affected_cases = _count()
    reprocessed_cases = _count()
    outcome_changed_cases = _count()
    remaining_cases = _count(required=False)


class RecurrenceLinkSerializer(serializers.ModelSerializer):
    earlier_incident = serializers.CharField(source="earlier_incident.reference")
    later_incident = serializers.CharField(source="later_incident.reference")
    system = serializers.CharField(source="system.reference")

    class Meta:
        model = Recurrence
        fields = [
            "id",
            "earlier_incident",
            "later_incident",
            "system",
            "category",
            "days_apart",
            "window_days",
            "created_at",
        ]
        read_only_fields = fields
