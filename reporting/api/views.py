"""Report runs over the API: status and progress, download, and checking a document's hash."""

import hashlib

from django.http import FileResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..models import ReportRun
from .serializers import DocumentVerifySerializer, ReportRunSerializer


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
