"""Serializers of the reporting API: report runs, document checks, and what each report is
requested with (the register's filters, a review period) and answers (the review figures)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.choices import DetectionSource, IncidentType, Kind, Severity, Status
from incidents.filters import STATE_CHOICES

from ..choices import RunStatus
from ..models import ReportRun


class ReportRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "status",
            "percent",
            "progress_done",
            "progress_total",
            "message",
            "params",
            "incident",
            "requested_by",
            "requested_at",
            "finished_at",
            "file_name",
            "media_type",
            "sha256",
            "size",
            "attempts",
            "download_url",
        ]

    def get_download_url(self, run) -> str | None:
        if run.status != RunStatus.DONE:
            return None
        return reverse("report-run-download", args=[run.pk])


class DocumentVerifySerializer(serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        error_messages={"invalid": "Give the 64 hexadecimal characters of a SHA-256."},
    )
    file = serializers.FileField(required=False, help_text="Or upload the document itself.")

    def validate(self, attrs):
        if not attrs.get("sha256") and not attrs.get("file"):
            raise serializers.ValidationError("Give the document's SHA-256 or upload the document.")
        return attrs


# --- register exports ---------------------------------------------------------------------------


class OneOrMany(serializers.ListField):
    """A filter that may repeat: one value or a list of values."""

    def to_internal_value(self, data):
        if not isinstance(data, list | tuple):
            data = [data]
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": list(IncidentType.values)})
class IncidentTypeField(serializers.ChoiceField):
    """One incident type. Documented inline: the incident serializers already name this choice
    set's component (a second name for it would be ambiguous in generated clients)."""

    def __init__(self, **kwargs):
        super().__init__(choices=IncidentType.choices, **kwargs)


class RegisterFiltersSerializer(serializers.Serializer):
    """The register's filters (``IncidentFilter``), as the query parameters of the register."""

    q = serializers.CharField(required=False, help_text="Search in reference, title, description.")
    status = OneOrMany(child=serializers.ChoiceField(choices=Status.choices), required=False)
    state = serializers.ChoiceField(choices=STATE_CHOICES, required=False)
    severity = OneOrMany(child=serializers.ChoiceField(choices=Severity.choices), required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    type = IncidentTypeField(required=False)
    system = serializers.IntegerField(required=False, help_text="AI system id.")
    detection_source = OneOrMany(
        child=serializers.ChoiceField(choices=DetectionSource.choices), required=False
    )
    detected_after = serializers.CharField(
        required=False, help_text="ISO 8601 date or date-time: detected at or after."
    )
    detected_before = serializers.CharField(
        required=False,
        help_text="ISO 8601 date (the whole day included) or date-time: detected at or before.",
    )
    lead = serializers.IntegerField(required=False, help_text="Incident lead (user id).")
    ordering = serializers.CharField(
        required=False,
        help_text="reference, detected, severity, status, title or updated; '-' for descending.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and (unknown := sorted(set(data) - set(self.fields))):
            raise serializers.ValidationError(
                {
                    name: [
                        _("Unknown filter. The register's filters are: %s.")
                        % ", ".join(self.fields)
                    ]
                    for name in unknown
                }
            )
        return super().to_internal_value(data)


class RegisterExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF")])
    filters = RegisterFiltersSerializer(required=False, default=dict)


# --- the management review -----------------------------------------------------------------------


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Not included.")
    last_day = serializers.DateField()
    days = serializers.IntegerField()
    label = serializers.CharField()
    granularity = serializers.ChoiceField(choices=["week", "month", "quarter"])


class TotalsSerializer(serializers.Serializer):
    entries = serializers.IntegerField(help_text="Incidents and near misses, rejected excluded.")
    incidents = serializers.IntegerField()
    near_misses = serializers.IntegerField()
    rejected = serializers.IntegerField(help_text="Judged not to be AI incidents.")
    open = serializers.IntegerField()
    closed = serializers.IntegerField()
    severe = serializers.IntegerField(help_text="P0 and P1.")


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True, help_text="Of all entries (0 to 1).")


class SystemRowSerializer(BreakdownRowSerializer):
    reference = serializers.CharField()


class TrendBucketSerializer(serializers.Serializer):
    start = serializers.DateField()
    label = serializers.CharField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="By severity: P0, P1, P2, P3, unset."
    )
    total = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    granularity = serializers.CharField()
    buckets = TrendBucketSerializer(many=True)


class MeanTimeSerializer(serializers.Serializer):
    hours = serializers.FloatField(allow_null=True)
    incidents = serializers.IntegerField(help_text="How many incidents the mean is taken over.")


class MeanTimesSerializer(serializers.Serializer):
    detect = MeanTimeSerializer(help_text="Failure began -> detected.")
    contain = MeanTimeSerializer(help_text="Detected -> contained.")
    resolve = MeanTimeSerializer(help_text="Detected -> resolved.")


class ClockKindSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    met = serializers.IntegerField()
    late = serializers.IntegerField()
    overdue = serializers.IntegerField()
    running = serializers.IntegerField()
    share_met = serializers.FloatField(allow_null=True)


class ClocksSerializer(serializers.Serializer):
    met = serializers.IntegerField(help_text="Met on time.")
    late = serializers.IntegerField(help_text="Met after the deadline.")
    overdue = serializers.IntegerField(help_text="Past the deadline and not met.")
    breached = serializers.IntegerField()
    running = serializers.IntegerField()
    share_met = serializers.FloatField(allow_null=True, help_text="met / (met + breached).")
    by_kind = ClockKindSerializer(many=True)


class OpenClockKindSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class OpenClocksSerializer(serializers.Serializer):
    as_of = serializers.DateTimeField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    by_kind = OpenClockKindSerializer(many=True)


class RecurringSystemSerializer(serializers.Serializer):
    reference = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    incidents = serializers.ListField(child=serializers.CharField())


class RecurrenceSerializer(serializers.Serializer):
    window_days = serializers.IntegerField()
    incidents = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    by_system = RecurringSystemSerializer(many=True)


class DisclosureRegimeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The regime's stable code, e.g. gdpr_art33.")
    applied = serializers.IntegerField(help_text="Obligations (stages) that applied.")
    on_time = serializers.IntegerField(help_text="Submitted by the deadline (or with none).")
    late = serializers.IntegerField(help_text="Submitted after the deadline.")
    owed = serializers.IntegerField(help_text="Applying and not submitted yet.")
    overdue = serializers.IntegerField(help_text="Owed and past the deadline now.")
    complete_outstanding = serializers.IntegerField(
        help_text="An initial report was sent; the complete one is still owed."
    )
    undetermined = serializers.IntegerField(help_text="Still to decide.")
    not_required = serializers.IntegerField(help_text="A person decided it does not apply.")


class DisclosureTotalsSerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    owed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    complete_outstanding = serializers.IntegerField()
    undetermined = serializers.IntegerField()
    not_required = serializers.IntegerField()


class DisclosureAssessmentsSerializer(serializers.Serializer):
    assessed = serializers.IntegerField()
    signed_off = serializers.IntegerField()
    reopened = serializers.IntegerField()
    open = serializers.IntegerField()


class DisclosureAudienceSerializer(serializers.Serializer):
    audience = serializers.CharField()
    label = serializers.CharField()
    sent = serializers.IntegerField()


class DisclosureFiguresSerializer(serializers.Serializer):
    """The disclosure figures of the period's incidents."""

    by_regime = DisclosureRegimeSerializer(many=True)
    totals = DisclosureTotalsSerializer()
    assessments = DisclosureAssessmentsSerializer()
    communications_sent = serializers.IntegerField()
    communications_by_audience = DisclosureAudienceSerializer(many=True)


class CapaCountsSerializer(serializers.Serializer):
    raised = serializers.IntegerField(help_text="CAPAs raised in the period.")
    implemented = serializers.IntegerField(help_text="CAPAs implemented in the period.")
    verified_effective = serializers.IntegerField(help_text="Verified effective in the period.")
    ineffective = serializers.IntegerField(help_text="Found ineffective in the period.")
    open = serializers.IntegerField(help_text="Open now (open, in progress or implemented).")
    overdue = serializers.IntegerField(help_text="Open and past their due date now.")
    possibly_ineffective = serializers.IntegerField(
        help_text="Not cancelled, and an incident they answer recurred."
    )


class CheckCountsSerializer(serializers.Serializer):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()


class FindingRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class FindingFiguresSerializer(serializers.Serializer):
    by_classification = FindingRowSerializer(many=True)
    raised = serializers.IntegerField()
    open_nonconformities = serializers.IntegerField()


class CapaFiguresSerializer(serializers.Serializer):
    """The learning loop's figures: CAPAs, effectiveness checks, findings, recurrences."""

    capa = CapaCountsSerializer()
    checks = CheckCountsSerializer(help_text="Effectiveness checks recorded in the period.")
    findings = FindingFiguresSerializer(help_text="Audit findings raised in the period.")
    recurrences = serializers.IntegerField(
        help_text="Recurrences (same system, same root-cause category) detected in the period."
    )


class RootCauseRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The playbook's root-cause category.")
    label = serializers.CharField()
    count = serializers.IntegerField()


class ReviewTimelinessSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text="Post-incident reviews of the period's incidents.")
    on_time = serializers.IntegerField(help_text="Approved by their due date.")
    late = serializers.IntegerField(help_text="Approved after their due date.")
    overdue = serializers.IntegerField(help_text="Not approved, past their due date now.")
    pending = serializers.IntegerField(help_text="Not approved, still within time.")


class LearningFiguresSerializer(serializers.Serializer):
    root_causes = RootCauseRowSerializer(many=True)
    root_causes_confirmed = serializers.IntegerField()
    reviews = ReviewTimelinessSerializer()


class RiskLinkCountsSerializer(serializers.Serializer):
    materialised = serializers.IntegerField()
    rerated = serializers.IntegerField()
    raised = serializers.IntegerField()
    risks = serializers.IntegerField(help_text="Distinct risks linked.")
    incidents = serializers.IntegerField(help_text="Distinct incidents with a risk link.")


class RiskReviewCountsSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="Closure reviews that changed the register.")
    no_change = serializers.IntegerField(help_text="Closure reviews recorded as no change.")


class IncidentRiskLinksSerializer(serializers.Serializer):
    incident = serializers.CharField(help_text="The incident's reference.")
    links = serializers.ListField(
        child=serializers.CharField(), help_text='e.g. "RISK-0003 risk re-rated (9 → 12)".'
    )


class RiskFiguresSerializer(serializers.Serializer):
    links = RiskLinkCountsSerializer()
    rerated_up = serializers.IntegerField()
    rerated_down = serializers.IntegerField()
    reviews = RiskReviewCountsSerializer()
    impact_flags = serializers.IntegerField(
        help_text="Impact assessments the period's incidents marked due for review."
    )
    threshold_changes = serializers.IntegerField(
        help_text="Detection thresholds changed because of the period's incidents."
    )
    by_incident = IncidentRiskLinksSerializer(many=True)
    listed_all = serializers.BooleanField(help_text="False when the list was cut short.")


class ReviewMetricsSerializer(serializers.Serializer):
    """The management-review figures of a period (incidents detected in it that you may see)."""

    period = PeriodSerializer()
    generated_at = serializers.DateTimeField()
    totals = TotalsSerializer()
    by_severity = BreakdownRowSerializer(many=True)
    by_type = BreakdownRowSerializer(many=True)
    by_system = SystemRowSerializer(many=True)
    by_detection_source = BreakdownRowSerializer(many=True)
    trend = TrendSerializer()
    mean_times = MeanTimesSerializer()
    clocks = ClocksSerializer()
    open_clocks = OpenClocksSerializer(
        help_text="Open and overdue incident clocks now, across the register you may see "
        "(the corrective actions' own are in `capa`)."
    )
    near_misses = serializers.IntegerField()
    recurrence = RecurrenceSerializer()
    disclosure = DisclosureFiguresSerializer(
        help_text="Regulatory obligations per regime, assessments and communications of the "
        "period's incidents."
    )
    capa = CapaFiguresSerializer(
        help_text="Corrective actions, effectiveness checks, audit findings and recurrences."
    )
    learning = LearningFiguresSerializer(
        help_text="Root causes confirmed by category, and post-incident reviews held on time."
    )
    risk = RiskFiguresSerializer(
        help_text="How the period's incidents changed the risk register, impact assessments "
        "and detection thresholds."
    )


START_HELP = "First day (YYYY-MM-DD). Default: 90 days before `end`."
END_HELP = (
    "The day after the last (not included). Default: 90 days after `start`, or tomorrow "
    "(the last 90 days, today included) when neither is given."
)


class ReviewPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=START_HELP)
    end = serializers.DateField(required=False, help_text=END_HELP)
