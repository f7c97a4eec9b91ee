"""API of audit samples: draw one (``POST /api/v1/audit-samples/``) and follow it.

A sample is a report run of kind ``audit_sample``; drawing one answers 202 with the run and a
``Location`` at ``/api/v1/report-runs/{id}/``, where its progress and download link appear. The
run is built by a worker; the draw itself is made (and recorded) at once.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from .. import permissions, selectors
from ..choices import ReportKind
from ..models import ReportRun
from ..samples import AuditSampleParamsSerializer, audit_sample_request
from ..services import report_queue
from .serializers import ReportRunSerializer


class CanDrawAuditSample(BasePermission):
    """Auditors and the register's managers (``permissions.can_request``)."""

    message = _("Your role cannot draw audit samples.")

    def has_permission(self, request, view):
        return permissions.can_request(request.user, ReportKind.AUDIT_SAMPLE)


class AuditSampleViewSet(
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
        run = audit_sample_request(actor=request.user, data=request.data)
        report_queue(run)
        return Response(
            ReportRunSerializer(run).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("report-run-detail", args=[run.pk])},
        )


router = SimpleRouter()
router.register("audit-samples", AuditSampleViewSet, basename="audit-sample")

urlpatterns = router.urls
