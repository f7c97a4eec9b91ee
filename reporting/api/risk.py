"""Documents of the risk module over the API, built by a worker like every report run: the risk
register as CSV or XLSX (auditors export it), the Statement of Applicability as a PDF, and an AI
system's evidence trail as a PDF. Each answers 202 with the run to follow (``Location``); the
run's ``download_url`` serves the file when its status is ``done``."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from aims.core.api.fields import as_id
from aims.core.exceptions import PermissionRefused

from .. import services
from .serializers import ReportRunSerializer
from .views import ERRORS, ReportRequestMixin

NOT_FOUND = {404: ERRORS[403]}


class RiskRegisterExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(), allow_empty=True),
        required=False,
        default=dict,
        help_text="The risk register's filters, as its query parameters (name -> values), "
        'e.g. {"status": ["treated"], "overdue": ["true"]}.',
    )


class RiskRegisterExportView(ReportRequestMixin, APIView):
    """Export the risk register (only the risks the caller may see), filtered as the register
    page filters it, as CSV or XLSX."""

    @extend_schema(
        operation_id="risk_register_export_create",
        request=RiskRegisterExportSerializer,
        responses={202: ReportRunSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = RiskRegisterExportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = services.risk_register_export_request(
            actor=request.user,
            fmt=serializer.validated_data["format"],
            params={k: v for k, v in serializer.validated_data["filters"].items() if v},
        )
        return self.accepted(run)


class SoaPdfView(ReportRequestMixin, APIView):
    """The Statement of Applicability with its evidence and the heat maps, as a PDF."""

    @extend_schema(
        operation_id="soa_pdf_create", request=None, responses={202: ReportRunSerializer, **ERRORS}
    )
    def post(self, request):
        return self.accepted(services.soa_request(actor=request.user))


class SystemTrailPdfView(ReportRequestMixin, APIView):
    """An AI system's evidence trail, with each gap flagged, as a PDF."""

    @extend_schema(
        operation_id="system_trail_pdf_create",
        request=None,
        responses={202: ReportRunSerializer, **ERRORS, **NOT_FOUND},
    )
    def post(self, request, pk):
        from risk import permissions as risk_permissions
        from risk.trail import trail_system

        decision = risk_permissions.can_read_trail(request.user)
        if not decision:
            raise PermissionRefused(decision.message)
        found = as_id(pk)
        system = trail_system(request.user, found) if found else None
        if system is None:
            raise NotFound(_("No such AI system, or you may not read its trail."))
        return self.accepted(services.system_trail_request(actor=request.user, system=system))
