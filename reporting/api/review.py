"""The management review over the API: the period's figures as JSON, and requesting the PDF pack.

``GET /api/v1/review-metrics/?start=YYYY-MM-DD&end=YYYY-MM-DD`` answers the same figures the
dashboard and the pack show (``reporting.metrics.period_metrics``); ``end`` is not included.
``POST /api/v1/review-packs/`` queues the PDF and answers 202 with the run to follow.
Roles that may not request the pack get 403 before anything is read.
"""

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.exceptions import PermissionRefused
from incidents.api.serializers import ErrorSerializer

from .. import metrics, permissions, services
from ..choices import ReportKind
from .serializers import ReportRunSerializer

# --- the shape of the figures (documentation and a check on the dictionary) ---------------


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
        "(until the CAPA module brings corrective actions)."
    )
    near_misses = serializers.IntegerField()
    recurrence = RecurrenceSerializer()


START_HELP = "First day (YYYY-MM-DD). Default: 90 days before `end`."
END_HELP = (
    "The day after the last (not included). Default: 90 days after `start`, or tomorrow "
    "(the last 90 days, today included) when neither is given."
)


class ReviewPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text=START_HELP)
    end = serializers.DateField(required=False, help_text=END_HELP)


ERRORS = {400: ErrorSerializer, 403: ErrorSerializer}
PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description=START_HELP),
    OpenApiParameter("end", OpenApiTypes.DATE, description=END_HELP),
]


def _require_allowed(user) -> None:
    if not permissions.can_request(user, ReportKind.REVIEW_PACK):
        raise PermissionRefused(
            "Your role cannot read the management-review figures "
            "(GRC, the AI risk officer, auditors, executives, CISO, DPO and legal can)."
        )


# --- views ---------------------------------------------------------------------------------


class ReviewMetricsView(APIView):
    """The management-review figures of a period: counts and trend by severity, type, system and
    detection source; mean times to detect, contain and resolve; clocks met; open and overdue
    clocks; near misses; recurrence."""

    @extend_schema(
        operation_id="review_metrics",
        parameters=PERIOD_PARAMETERS,
        responses={200: ReviewMetricsSerializer, **ERRORS},
    )
    def get(self, request):
        _require_allowed(request.user)
        period = metrics.parse_period(
            request.query_params.get("start"), request.query_params.get("end")
        )
        figures = metrics.period_metrics(start=period.start, end=period.end, user=request.user)
        return Response(ReviewMetricsSerializer(figures).data)


class ReviewPackView(APIView):
    """Request the management-review PDF pack for a period. It is built by a worker; follow the
    run (`Location`) until `status` is `done`, then download it."""

    @extend_schema(
        operation_id="review_pack_create",
        request=ReviewPeriodSerializer,
        responses={202: ReportRunSerializer, **ERRORS},
    )
    def post(self, request):
        _require_allowed(request.user)
        serializer = ReviewPeriodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        period = metrics.parse_period(
            serializer.validated_data.get("start"), serializer.validated_data.get("end")
        )
        run = services.report_request(
            actor=request.user, kind=ReportKind.REVIEW_PACK, params=period.as_params()
        )
        services.report_queue(run)
        return Response(
            ReportRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("report-run-detail", args=[run.pk])},
        )


urlpatterns = [
    path("review-metrics/", ReviewMetricsView.as_view(), name="review-metrics"),
    path("review-packs/", ReviewPackView.as_view(), name="review-packs"),
]
