"""The reporting API: report runs (status, progress, download), checking a document's hash, and
requesting each report — case file, register export, audit sample, management-review pack.

Every request for a document calls its ``<kind>_request`` service and answers **202** with the
run and a ``Location`` to follow (``GET /api/v1/report-runs/{id}/``, then its ``download_url``).
An identical request still in progress answers the same run; a person with
``REPORT_RUNS_PER_USER`` runs in progress gets **429** with ``Retry-After``.

The case file is the one document answered directly: ``GET /api/v1/incidents/{id}/case-file.pdf``
waits a few seconds (``CASE_FILE_WAIT_SECONDS``) for the worker and answers the PDF when it is
ready by then, else 202 with the run.
"""

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, mixins, renderers, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.permissions import require
from incidents.api.serializers import ErrorSerializer
from incidents.filters import IncidentFilter
from incidents.models import Incident
from incidents.selectors import incidents_visible_to

from .. import filters, permissions, rules, selectors, services
from ..builders import register as register_document
from ..choices import ReportKind, RunStatus
from ..filters import AuditSampleParamsSerializer
from ..models import ReportRun
from .serializers import (
    DocumentVerifySerializer,
    RegisterExportSerializer,
    ReportRunSerializer,
    ReviewMetricsSerializer,
    ReviewPeriodSerializer,
)

DEFAULT_CASE_FILE_WAIT_S = 5
POLL_AGAIN_S = 2
ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 429: ErrorSerializer}


class CaseFileFailed(ApplicationError):
    code = "case_file_failed"
    status_code = 500
    default_message = gettext_lazy(
        "The case file could not be generated. The report run records why."
    )


def _run_location(run) -> str:
    return reverse("report-run-detail", args=[run.pk])


class ReportRequestMixin:
    """What every view that requests a report shares: 202 with the run to follow, and the
    ``Retry-After`` of a 429."""

    def accepted(self, run, *, retry_after: int | None = None) -> Response:
        headers = {"Location": _run_location(run)}
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        return Response(
            ReportRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers=headers,
            content_type="application/json",
        )

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, services.ReportRunLimitReached):
            response["Retry-After"] = str(exc.retry_after)
        return response


# --- report runs ---------------------------------------------------------------------------------


class ReportRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Your report runs (GRC sees all): status, percent done, and the download link when done."""

    serializer_class = ReportRunSerializer
    queryset = ReportRun.objects.none()
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        return selectors.runs_visible_to(self.request.user)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        run = self.get_object()
        handle = services.report_open(actor=request.user, run=run)
        response = FileResponse(
            handle, as_attachment=True, filename=run.file_name, content_type=run.media_type
        )
        response["X-Document-SHA256"] = run.sha256
        response["X-Content-Type-Options"] = "nosniff"
        return response


class DocumentVerifyView(APIView):
    """Check a printed or forwarded document against the hashes the system recorded."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=DocumentVerifySerializer,
        responses=inline_serializer(
            "DocumentVerifyResult",
            {
                "sha256": drf_serializers.CharField(),
                "genuine": drf_serializers.BooleanField(),
                "run": ReportRunSerializer(allow_null=True),
            },
        ),
    )
    def post(self, request):
        serializer = DocumentVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        digest = serializer.validated_data.get("sha256", "").lower()
        if upload := serializer.validated_data.get("file"):
            hasher = hashlib.sha256()
            for chunk in upload.chunks():
                hasher.update(chunk)
            digest = hasher.hexdigest()
        run = services.document_lookup(digest)
        visible = (
            run is not None and selectors.runs_visible_to(request.user).filter(pk=run.pk).exists()
        )
        return Response(
            {
                "sha256": digest,
                "genuine": run is not None,
                "run": ReportRunSerializer(run).data if visible else None,
            }
        )


# --- the case file -------------------------------------------------------------------------------


class PDFRenderer(renderers.BaseRenderer):
    """Lets clients ask for ``application/pdf``; what is not the PDF (202, errors) is JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return renderers.JSONRenderer().render(data)


CASE_FILE_HEADERS = [
    OpenApiParameter(
        "X-Document-SHA256",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        description="SHA-256 of the returned bytes, as the system recorded it.",
    ),
    OpenApiParameter(
        "X-Report-Run",
        int,
        OpenApiParameter.HEADER,
        response=[200],
        description="The report run that recorded this document (GET /api/v1/report-runs/{id}/).",
    ),
]


def _pdf_response(run, handle) -> FileResponse:
    response = FileResponse(
        handle, as_attachment=False, filename=run.file_name, content_type="application/pdf"
    )
    response["X-Document-SHA256"] = run.sha256
    response["X-Report-Run"] = str(run.pk)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class CaseFileView(ReportRequestMixin, APIView):
    """The incident's case file as a PDF, generated by a worker and recorded with its SHA-256."""

    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        operation_id="incidents_case_file_retrieve",
        tags=["incidents"],
        summary="Case file (PDF) of one incident",
        description=(
            "Records a case-file report run and has a worker generate it. When the document "
            "is ready within a few seconds it is returned inline, with the SHA-256 recorded "
            "for it; otherwise the answer is 202 with the run to follow (Location, Retry-After) "
            "and its download_url once done. A printed or forwarded copy is checked later with "
            "POST /api/v1/documents/verify/."
        ),
        parameters=CASE_FILE_HEADERS,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The case file."
            ),
            202: OpenApiResponse(ReportRunSerializer, description="Still being generated."),
            404: OpenApiResponse(description="No such incident, or you cannot see it."),
            429: ErrorSerializer,
        },
    )
    def get(self, request, pk: int):
        incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
        run = services.case_file_request(actor=request.user, incident=incident)
        wait = getattr(settings, "CASE_FILE_WAIT_SECONDS", DEFAULT_CASE_FILE_WAIT_S)
        run = services.report_wait(run, timeout_s=wait)
        if run.status == RunStatus.DONE:
            return _pdf_response(run, services.report_open(actor=request.user, run=run))
        if run.status == RunStatus.FAILED:
            raise CaseFileFailed(
                _("The case file could not be generated (report run #%(run)s): %(why)s")
                % {"run": run.pk, "why": run.message}
            )
        return self.accepted(run, retry_after=POLL_AGAIN_S)


# --- regulatory report drafts (disclosure) -------------------------------------------------------


class DisclosureDraftPdfView(ReportRequestMixin, APIView):
    """A regulatory report draft (a communication drafted for an obligation) as a PDF."""

    renderer_classes = [renderers.JSONRenderer, PDFRenderer]

    @extend_schema(
        operation_id="communications_draft_pdf_retrieve",
        tags=["communications"],
        summary="Report draft (PDF) of one communication",
        description=(
            "Records a report-draft run and has a worker render it: what the draft says, its "
            "gaps marked, the obligation and the incident, and whether legal approved it. When "
            "it is ready within a few seconds it is returned inline; otherwise 202 with the run."
        ),
        parameters=CASE_FILE_HEADERS,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The report draft."
            ),
            202: OpenApiResponse(ReportRunSerializer, description="Still being generated."),
            400: ErrorSerializer,
            404: OpenApiResponse(description="No such communication, or you cannot see it."),
            429: ErrorSerializer,
        },
    )
    def get(self, request, pk: int):
        from disclosure.selectors import communications_visible_to

        communication = get_object_or_404(communications_visible_to(request.user), pk=pk)
        run = services.disclosure_draft_request(actor=request.user, communication=communication)
        wait = getattr(settings, "CASE_FILE_WAIT_SECONDS", DEFAULT_CASE_FILE_WAIT_S)
        run = services.report_wait(run, timeout_s=wait)
        if run.status == RunStatus.DONE:
            return _pdf_response(run, services.report_open(actor=request.user, run=run))
        if run.status == RunStatus.FAILED:
            raise CaseFileFailed(
                _("The report draft could not be generated (report run #%(run)s): %(why)s")
                % {"run": run.pk, "why": run.message}
            )
        return self.accepted(run, retry_after=POLL_AGAIN_S)


# --- register exports ----------------------------------------------------------------------------


def _require_exporter(user) -> None:
    if not services.export_formats_for(user):
        raise PermissionRefused(_("Your role cannot export the incident register."))


class RegisterExportView(ReportRequestMixin, generics.GenericAPIView):
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
            **ERRORS,
        },
    )
    def post(self, request):
        _require_exporter(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        params = filters.filter_params(serializer.validated_data["filters"], strict=True)
        try:
            filters.validate_filters(params)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, fields={"filters": exc.fields}) from exc
        run = services.register_export_request(
            actor=request.user, fmt=serializer.validated_data["format"], params=params
        )
        return self.accepted(run)


def _csv_stream_response(user, params: Mapping) -> StreamingHttpResponse:
    """The filtered register streamed as CSV while it is read; refused above ``STREAM_MAX_ROWS``
    (the worker would be held too long) with a pointer to the asynchronous export."""
    if not permissions.can_request(user, ReportKind.REGISTER_CSV):
        raise PermissionRefused(_("Your role cannot export the incident register."))
    queryset = selectors.register_rows(user, params)
    count = queryset.count()
    if count > register_document.STREAM_MAX_ROWS:
        raise register_document.ExportTooLarge(
            _(
                "The filtered register has %(count)s incidents; a streamed export holds at most "
                "%(limit)s. Start an export with POST /api/v1/register-exports/ and download it "
                "when it is done, or narrow the filters."
            )
            % {"count": f"{count:,}", "limit": f"{register_document.STREAM_MAX_ROWS:,}"}
        )
    response = StreamingHttpResponse(
        register_document.csv_lines(queryset.iterator(chunk_size=register_document.CHUNK_SIZE)),
        content_type=register_document.MEDIA_TYPES["csv"],
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{register_document.file_name("csv", timezone.now())}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Total-Count"] = str(count)
    return response


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
        params = filters.filter_params(query, strict=True)
        return _csv_stream_response(request.user, params)


# --- audit samples -------------------------------------------------------------------------------


class CanDrawAuditSample(BasePermission):
    """Auditors and the register's managers (``permissions.can_request``)."""

    message = gettext_lazy("Your role cannot draw audit samples.")

    def has_permission(self, request, view):
        return permissions.can_request(request.user, ReportKind.AUDIT_SAMPLE)


class AuditSampleViewSet(
    ReportRequestMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Audit samples you drew (GRC sees all): status, percent done and the download link."""

    serializer_class = ReportRunSerializer
    queryset = ReportRun.objects.none()
    permission_classes = [IsAuthenticated, CanDrawAuditSample]

    def get_queryset(self):
        return selectors.runs_visible_to(self.request.user).filter(kind=ReportKind.AUDIT_SAMPLE)

    @extend_schema(
        request=AuditSampleParamsSerializer,
        responses={
            202: OpenApiResponse(ReportRunSerializer, description="Drawn; the bundle is queued."),
            400: OpenApiResponse(
                description="Invalid parameters, or no incident you can see matches the filters."
            ),
            403: OpenApiResponse(description="Your role cannot draw audit samples."),
            429: ErrorSerializer,
        },
        summary="Draw an audit sample",
        description=(
            "Draws a reproducible random sample (same seed and same population give the same "
            "sample) and queues the ZIP bundle: each sampled incident's case file and evidence, "
            "and manifest.json with every file's SHA-256, the sampling parameters and the "
            "audit-chain verification. Answers 202 with the run; follow its Location."
        ),
    )
    def create(self, request, *args, **kwargs):
        return self.accepted(services.audit_sample_request(actor=request.user, data=request.data))


# --- the management review -----------------------------------------------------------------------

START_HELP = ReviewPeriodSerializer._declared_fields["start"].help_text
END_HELP = ReviewPeriodSerializer._declared_fields["end"].help_text
PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description=START_HELP),
    OpenApiParameter("end", OpenApiTypes.DATE, description=END_HELP),
]


def _require_review_allowed(user) -> None:
    require(permissions.can_see_review(user))


class ReviewMetricsView(APIView):
    """The management-review figures of a period: counts and trend by severity, type, system and
    detection source; mean times to detect, contain and resolve; clocks met; open and overdue
    clocks; near misses; recurrence."""

    @extend_schema(
        operation_id="review_metrics",
        parameters=PERIOD_PARAMETERS,
        responses={200: ReviewMetricsSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        _require_review_allowed(request.user)
        period = rules.parse_period(
            request.query_params.get("start"), request.query_params.get("end")
        )
        figures = selectors.period_metrics(start=period.start, end=period.end, user=request.user)
        return Response(ReviewMetricsSerializer(figures).data)


class ReviewPackView(ReportRequestMixin, APIView):
    """Request the management-review PDF pack for a period. It is built by a worker; follow the
    run (`Location`) until `status` is `done`, then download it."""

    @extend_schema(
        operation_id="review_pack_create",
        request=ReviewPeriodSerializer,
        responses={202: ReportRunSerializer, **ERRORS},
    )
    def post(self, request):
        _require_review_allowed(request.user)
        serializer = ReviewPeriodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.review_pack_request(
            actor=request.user,
            start=serializer.validated_data.get("start"),
            end=serializer.validated_data.get("end"),
        )
        return self.accepted(run)
