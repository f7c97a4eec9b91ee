"""The CAPA API: the register, one CAPA with its moves, its effectiveness check and closure
evidence, audit findings, an incident's CAPAs and the "no CAPA needed" decision. Every write is
one service call; each permission is the rule in ``capa.permissions``, asked before the body is
read and again by the service."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.fields import as_id
from aims.core.api.pagination import StandardPagination
from aims.core.concurrency import etag_of
from aims.core.exceptions import ValidationFailed
from incidents.api.renderers import PassthroughRenderer
from incidents.selectors import incidents_visible_to

from .. import permissions, rules, selectors, services
from ..filters import CapaFilter, FindingFilter
from ..models import ActionEvidence, CorrectiveAction, Finding
from .serializers import actions as s

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the version you read. A stale one answers 412 instead of "
    "overwriting someone else's change.",
)
ERRORS = {
    400: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
}

# Per action, the rule asked of the record before the body is read (the service asks again).
CAPA_OBJECT_RULES = {
    "update": permissions.can_edit_capa,
    "partial_update": permissions.can_edit_capa,
    "evidence": permissions.can_add_capa_evidence,
    "check": permissions.can_plan_check,
    "check_result": permissions.can_verify,
}


class CapaPermission(drf_permissions.BasePermission):
    def has_permission(self, request, view):
        decision = permissions.can_read(request.user)
        if decision and view.action == "create":
            decision = permissions.can_create_capa(request.user)
        self.message = decision.message
        return bool(decision)

    def has_object_permission(self, request, view, obj):
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        rule = CAPA_OBJECT_RULES.get(view.action)
        if rule is None:  # transition: the lifecycle table names each move's rule
            return True
        decision = rule(request.user, obj)
        self.message = decision.message
        return bool(decision)


class CapaViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Corrective and preventive actions. Status moves only through ``transition``; CAPAs are
    never deleted (a CAPA no longer needed is cancelled with a reason)."""

    queryset = CorrectiveAction.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, CapaPermission]
    filterset_class = CapaFilter
    pagination_class = StandardPagination
    serializer_class = s.CapaSerializer

    def get_queryset(self):
        qs = selectors.register(self.request.user)
        return qs.order_by("due_at", "id") if self.action == "list" else qs

    def get_serializer_class(self):
        return {
            "create": s.CapaCreateSerializer,
            "update": s.CapaUpdateSerializer,
            "partial_update": s.CapaUpdateSerializer,
        }.get(self.action, s.CapaSerializer)

    def get_object(self):
        pk = as_id(self.kwargs["pk"])
        capa = selectors.capa_page(self.request.user, pk) if pk is not None else None
        if capa is None:
            raise Http404
        self.check_object_permissions(self.request, capa)
        return capa

    def detail_response(self, capa, *, status_code=status.HTTP_200_OK):
        fresh = selectors.capa_page(self.request.user, capa.pk) or capa
        data = s.CapaSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag_of(fresh)})

    def retrieve(self, request, *args, **kwargs):
        capa = self.get_object()
        data = s.CapaSerializer(capa, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_of(capa)})

    @extend_schema(request=s.CapaCreateSerializer, responses={201: s.CapaSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        """Raise a CAPA. Without ``due_at`` the horizon's policy gives the due date."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incident_ids = data.pop("incidents", [])
        suggestion = data.pop("suggestion", "")
        incidents = list(incidents_visible_to(request.user).filter(pk__in=incident_ids))
        if len(incidents) != len(set(incident_ids)):
            raise ValidationFailed(
                "One of the incidents does not exist or you may not see it.",
                fields={"incidents": ["unknown id"]},
            )
        data = {k: v for k, v in data.items() if v not in (None, "")}
        capa = services.capa_create(
            actor=request.user, data=data, incidents=incidents, suggestion=suggestion
        )
        return self.detail_response(capa, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.CapaUpdateSerializer,
        responses={200: s.CapaSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        """Edit the record (never its status). ``If-Match`` guards against lost updates."""
        partial = kwargs.pop("partial", False)
        capa = self.get_object()
        serializer = self.get_serializer(capa, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        capa = services.capa_update(
            actor=request.user,
            capa=capa,
            data=dict(serializer.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self.detail_response(capa)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.CapaUpdateSerializer,
        responses={200: s.CapaSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(request=s.CapaTransitionSerializer, responses={200: s.CapaSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the CAPA one step. A failing guard answers 409 saying what is missing."""
        capa = self.get_object()
        body = s.CapaTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        capa = services.capa_transition(actor=request.user, capa=capa, **body.validated_data)
        return self.detail_response(capa)

    @extend_schema(
        request=s.CheckPlanSerializer, responses={200: s.EffectivenessCheckSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="effectiveness-check")
    def check(self, request, pk=None):
        """Plan (or re-plan, until a result is recorded) the effectiveness check."""
        capa = self.get_object()
        body = s.CheckPlanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check = services.effectiveness_check_plan(
            actor=request.user, capa=capa, **body.validated_data
        )
        return Response(s.EffectivenessCheckSerializer(check).data)

    @extend_schema(
        request=s.CheckResultSerializer, responses={200: s.EffectivenessCheckSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="effectiveness-check/result")
    def check_result(self, request, pk=None):
        """Record the check's result: never by the CAPA's owner or implementer."""
        capa = self.get_object()
        body = s.CheckResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check = services.effectiveness_check_record(
            actor=request.user, capa=capa, **body.validated_data
        )
        return Response(s.EffectivenessCheckSerializer(check).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.ActionEvidenceSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": s.CapaEvidenceUploadSerializer},
        responses={201: s.ActionEvidenceSerializer, 413: s.ErrorSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        pagination_class=None,
        filter_backends=[],
    )
    def evidence(self, request, pk=None):
        """The CAPA's closure evidence; POST preserves a file (write-once, SHA-256)."""
        capa = self.get_object()
        if request.method == "GET":
            return Response(s.ActionEvidenceSerializer(capa.evidence.all(), many=True).data)
        body = s.CapaEvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        evidence = services.capa_evidence_add(
            actor=request.user,
            capa=capa,
            uploaded_file=body.validated_data["file"],
            description=body.validated_data.get("description", ""),
        )
        return Response(s.ActionEvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class CapaEvidenceDownloadView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, PassthroughRenderer]

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, hash re-verified."
            ),
            404: s.ErrorSerializer,
            409: s.ErrorSerializer,
        }
    )
    def get(self, request, pk):
        """Download a CAPA evidence file after its SHA-256 is re-checked."""
        evidence = (
            ActionEvidence.objects.filter(pk=pk, capa__in=selectors.capas_visible_to(request.user))
            .select_related("capa")
            .first()
        )
        if evidence is None:
            raise Http404
        handle = services.capa_evidence_open(actor=request.user, evidence=evidence)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.media_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Evidence-SHA256"] = evidence.sha256
        return response


class SuggestionsView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("category", OpenApiTypes.STR, required=True)],
        responses={200: s.SuggestionSerializer(many=True), 403: s.ErrorSerializer},
    )
    def get(self, request):
        """The playbook's long-term fixes for a root-cause category."""
        decision = permissions.can_read(request.user)
        if not decision:
            self.permission_denied(request, message=decision.message)
        found = rules.suggestions_for(request.query_params.get("category", ""))
        return Response(s.SuggestionSerializer(found, many=True).data)


def _visible_incident(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


class IncidentCapasView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated]

    @extend_schema(responses={200: s.CapaSerializer(many=True), 404: s.ErrorSerializer})
    def get(self, request, pk):
        """The CAPAs raised for an incident you may see."""
        incident = _visible_incident(request, pk)
        capas = selectors.register(request.user).filter(links__incident=incident).order_by("id")
        return Response(s.CapaSerializer(capas, many=True).data)


class NoCapaDecisionView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated]

    @extend_schema(
        request=s.NoCapaDecisionSerializer,
        responses={201: s.NoCapaDecisionSerializer, **ERRORS},
    )
    def post(self, request, pk):
        """Record that the incident needs no CAPA, with the reason (GRC, the AI risk officer or
        the incident lead); the incident may then close without one."""
        incident = _visible_incident(request, pk)
        decision = permissions.can_decide_no_capa(request.user, incident)
        if not decision:
            self.permission_denied(request, message=decision.message)
        body = s.NoCapaDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.no_capa_decide(
            actor=request.user, incident=incident, reason=body.validated_data["reason"]
        )
        return Response(s.NoCapaDecisionSerializer(made).data, status=status.HTTP_201_CREATED)


class FindingPermission(drf_permissions.BasePermission):
    def has_permission(self, request, view):
        decision = permissions.can_read(request.user)
        if decision and request.method not in drf_permissions.SAFE_METHODS:
            decision = permissions.can_manage_findings(request.user)
        self.message = decision.message
        return bool(decision)


class FindingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Audit findings and nonconformities with their CAPAs. Status moves through ``transition``."""

    queryset = Finding.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, FindingPermission]
    filterset_class = FindingFilter
    pagination_class = StandardPagination
    serializer_class = s.FindingSerializer

    def get_queryset(self):
        return (
            selectors.findings_visible_to(self.request.user)
            .select_related("raised_by", "closed_by")
            .prefetch_related("actions")
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return s.FindingWriteSerializer
        return s.FindingSerializer

    def _answer(self, finding, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=finding.pk)
        return Response(
            s.FindingSerializer(fresh).data, status=status_code, headers={"ETag": etag_of(fresh)}
        )

    def retrieve(self, request, *args, **kwargs):
        finding = self.get_object()
        return Response(s.FindingSerializer(finding).data, headers={"ETag": etag_of(finding)})

    @extend_schema(request=s.FindingWriteSerializer, responses={201: s.FindingSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        finding = services.finding_create(actor=request.user, data=dict(serializer.validated_data))
        return self._answer(finding, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.FindingWriteSerializer,
        responses={200: s.FindingSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        finding = self.get_object()
        serializer = self.get_serializer(finding, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        finding = services.finding_update(
            actor=request.user,
            finding=finding,
            data=dict(serializer.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._answer(finding)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.FindingWriteSerializer,
        responses={200: s.FindingSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        request=s.FindingTransitionSerializer, responses={200: s.FindingSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the finding; closing a nonconformity needs all its CAPAs verified effective."""
        finding = self.get_object()
        body = s.FindingTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        finding = services.finding_transition(
            actor=request.user, finding=finding, **body.validated_data
        )
        return self._answer(finding)
