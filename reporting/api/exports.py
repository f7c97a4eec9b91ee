"""API of the register exports: start an export run, or stream a small CSV while it is read.

``POST /api/v1/register-exports/`` records a run and queues it (202, ``Location`` of the run to
poll: ``GET /api/v1/report-runs/{id}/``, then its ``download_url``). The filters are the
register's, by the same names as the query parameters of ``GET /api/v1/incidents/``.
``GET /api/v1/register-exports/csv/?<filters>`` streams the CSV directly, for scripts.
"""

from django.urls import path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, renderers, serializers
from rest_framework.response import Response

from aims.core.exceptions import PermissionRefused, ValidationFailed
from incidents.api.serializers import ErrorSerializer
from incidents.choices import DetectionSource, IncidentType, Kind, Severity, Status
from incidents.filters import STATE_CHOICES, IncidentFilter
from incidents.models import Incident

from .. import exports
from .serializers import ReportRunSerializer


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


def _require_exporter(user) -> None:
    if not exports.formats_for(user):
        raise PermissionRefused(_("Your role cannot export the register."))


class RegisterExportView(generics.GenericAPIView):
    """Export the filtered register as CSV, XLSX or PDF; it runs in the background."""

    serializer_class = RegisterExportSerializer

    @extend_schema(
        request=RegisterExportSerializer,
        responses={
            202: OpenApiResponse(
                ReportRunSerializer,
                description="The run, queued. Poll the URL in the Location header; download "
                "from its download_url when its status is done.",
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def post(self, request):
        _require_exporter(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = exports.filter_params(serializer.validated_data["filters"], strict=True)
        try:
            exports.validate_filters(params)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, fields={"filters": exc.fields}) from exc
        run = exports.export_request(
            actor=request.user, fmt=serializer.validated_data["format"], params=params
        )
        location = reverse("report-run-detail", args=[run.pk])
        return Response(ReportRunSerializer(run).data, status=202, headers={"Location": location})


class CSVRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``text/csv``; errors still come back as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data)


class RegisterCSVStreamView(generics.GenericAPIView):
    """The filtered register as CSV, streamed while it is read (same filters as the register).

    For scripts and small selections; above ``STREAM_MAX_ROWS`` incidents the answer is 400 and
    the export should be started with ``POST /api/v1/register-exports/``.
    """

    queryset = Incident.objects.none()
    filterset_class = IncidentFilter
    pagination_class = None
    renderer_classes = [renderers.JSONRenderer, CSVRenderer]

    @extend_schema(
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The filtered register as CSV (UTF-8); X-Total-Count gives the rows.",
            ),
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request):
        _require_exporter(request.user)
        query = request.query_params.copy()
        query.pop("format", None)  # DRF's own ?format= (renderer choice), not a filter
        params = exports.filter_params(query, strict=True)
        return exports.csv_stream_response(request.user, params)


urlpatterns = [
    path("register-exports/", RegisterExportView.as_view(), name="register-export"),
    path("register-exports/csv/", RegisterCSVStreamView.as_view(), name="register-export-csv"),
]
