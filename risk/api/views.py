"""Risk API: the register (ETag / If-Match on updates, one action per lifecycle move and for
reviews), the methodology versions, the Annex A controls with their SoA entries and evidence,
and the evidence map. Each rule is asked before the body is read; the service asks again."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.pagination import RegisterPagination
from aims.core.concurrency import etag_of
from incidents.api.serializers.errors import ErrorSerializer

from .. import incident_links, permissions, selectors, services
from ..filters import RiskFilter
from ..models import Control, Risk, RiskMethodology
from . import serializers as s

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag of the version you read. A stale one answers 412 instead of "
    "overwriting someone else's change.",
)
ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


class DecisionPermission(drf_permissions.BasePermission):
    """Asks the view's rule for the action (``rules_by_action``), before the body is read."""

    def has_permission(self, request, view):
        action_name = getattr(view, "action", None) or request.method.lower()
        rules = view.rules_by_action
        rule = rules.get(f"{action_name}.{request.method.lower()}") or rules.get(
            action_name, view.default_rule
        )
        decision = rule(request.user)
        self.message = decision.message
        return bool(decision)


def _with_etag(data, record, code=status.HTTP_200_OK):
    return Response(data, status=code, headers={"ETag": etag_of(record)})


class RiskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The AI risk register. Status moves only through ``transition`` (accepting a residual
    risk is ``{"to": "accepted", "reason": "<rationale>"}``); risks are never deleted."""

    queryset = Risk.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    filterset_class = RiskFilter
    pagination_class = RegisterPagination
    serializer_class = s.RiskSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_rule = staticmethod(permissions.can_read_register)
    rules_by_action = {
        "create": permissions.can_edit_register,
        "partial_update": permissions.can_edit_register,
        "review": permissions.can_edit_register,
        # Accepting is decided by the band's roles: every reader may ask, the service decides.
        "transition": permissions.can_read_register,
    }

    def get_queryset(self):
        user = self.request.user
        base = (
            selectors.register(user) if self.action == "list" else selectors.risks_visible_to(user)
        )
        return selectors.with_lists(base).order_by("reference", "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["in_force_id"] = selectors.methodology_in_force().pk
        return context

    def _detail(self, risk, code=status.HTTP_200_OK):
        fresh = selectors.risk_detail(self.request.user, risk.pk) or risk
        return _with_etag(
            s.RiskSerializer(fresh, context=self.get_serializer_context()).data, fresh, code
        )

    def retrieve(self, request, *args, **kwargs):
        risk = self.get_object()
        return _with_etag(self.get_serializer(risk).data, risk)

    @extend_schema(request=s.RiskWriteSerializer, responses={201: s.RiskSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = s.RiskWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        risk = services.risk_create(actor=request.user, data=dict(body.validated_data))
        return self._detail(risk, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.RiskWriteSerializer,
        responses={200: s.RiskSerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        risk = self.get_object()
        body = s.RiskWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        risk = services.risk_update(
            actor=request.user,
            risk=risk,
            data=dict(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(risk)

    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=s.RiskTransitionSerializer, responses={200: s.RiskSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the risk one step; a failing guard answers 409 saying what is missing."""
        risk = self.get_object()
        body = s.RiskTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        risk = services.risk_transition(
            actor=request.user,
            risk=risk,
            to=body.validated_data["to"],
            reason=body.validated_data["reason"],
        )
        return self._detail(risk)

    @extend_schema(request=s.RiskReviewSerializer, responses={200: s.RiskSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Record a periodic review and the date of the next one (the review clock)."""
        risk = self.get_object()
        body = s.RiskReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        risk = services.risk_review(actor=request.user, risk=risk, **body.validated_data)
        return self._detail(risk)

    @extend_schema(responses=s.RiskEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request, pk=None):
        risk = self.get_object()
        return Response(s.RiskEntrySerializer(selectors.entries_of(risk), many=True).data)

    @extend_schema(responses=s.RiskAcceptanceSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def acceptances(self, request, pk=None):
        risk = self.get_object()
        return Response(s.RiskAcceptanceSerializer(selectors.acceptances_of(risk), many=True).data)


class MethodologyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Versions of the risk methodology. ``POST`` drafts a new version from the one in force;
    ``approve`` puts a draft in force. Approved versions never change."""

    queryset = RiskMethodology.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.MethodologySerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_rule = staticmethod(permissions.can_read_methodology)
    rules_by_action = {
        "create": permissions.can_draft_methodology,
        "partial_update": permissions.can_draft_methodology,
        "approve": permissions.can_approve_methodology,
    }

    def get_queryset(self):
        return selectors.methodologies()

    def retrieve(self, request, *args, **kwargs):
        methodology = self.get_object()
        return _with_etag(self.get_serializer(methodology).data, methodology)

    @extend_schema(
        request=s.MethodologyWriteSerializer, responses={201: s.MethodologySerializer, **ERRORS}
    )
    def create(self, request, *args, **kwargs):
        body = s.MethodologyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = services.methodology_draft(actor=request.user, data=_plain(body.validated_data))
        return _with_etag(s.MethodologySerializer(draft).data, draft, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MethodologyWriteSerializer,
        responses={200: s.MethodologySerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        methodology = self.get_object()
        body = s.MethodologyWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        saved = services.methodology_update(
            actor=request.user,
            methodology=methodology,
            data=_plain(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return _with_etag(s.MethodologySerializer(saved).data, saved)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=None, responses={200: s.MethodologySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Put the draft in force. Risks keep their scores and are flagged for re-assessment."""
        methodology = self.get_object()
        approved = services.methodology_approve(actor=request.user, methodology=methodology)
        return _with_etag(s.MethodologySerializer(approved).data, approved)


def _plain(data: dict) -> dict:
    """Nested serializer output as the JSON the methodology stores."""
    return {
        key: [dict(item) for item in value] if isinstance(value, list) else value
        for key, value in data.items()
    }


class RiskTagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The taxonomy terms risks can carry: NIST AI 600-1 risks and the AI RMF functions."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.TagSerializer
    pagination_class = None
    default_rule = staticmethod(permissions.can_read_methodology)
    rules_by_action = {}

    def get_queryset(self):
        return selectors.tags()


class ControlViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The ISO/IEC 42001 Annex A controls, each with its Statement of Applicability entry;
    ``statement`` changes the entry (If-Match), ``evidence`` lists and links backing records."""

    queryset = Control.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.ControlSerializer
    pagination_class = None
    default_rule = staticmethod(permissions.can_read_soa)
    rules_by_action = {
        "statement": permissions.can_edit_soa,
        "evidence.post": permissions.can_link_evidence,
    }

    def get_queryset(self):
        return selectors.controls()

    def retrieve(self, request, *args, **kwargs):
        control = self.get_object()
        return _with_etag(self.get_serializer(control).data, control.statement)

    @extend_schema(
        request=s.StatementWriteSerializer,
        responses={200: s.ControlSerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["patch"])
    def statement(self, request, pk=None):
        control = self.get_object()
        body = s.StatementWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        saved = services.statement_update(
            actor=request.user,
            control=control,
            data=dict(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        fresh = selectors.control_detail(control.pk)
        return _with_etag(s.ControlSerializer(fresh).data, saved)

    @extend_schema(methods=["GET"], request=None, responses=s.EvidenceLinkSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=s.EvidenceLinkWriteSerializer,
        responses={201: s.EvidenceLinkSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def evidence(self, request, pk=None):
        control = self.get_object()
        if request.method == "GET":
            return Response(
                s.EvidenceLinkSerializer(selectors.evidence_of(control), many=True).data
            )
        body = s.EvidenceLinkWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.evidence_link(actor=request.user, control=control, **body.validated_data)
        return Response(s.EvidenceLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class EvidenceMapView(APIView):
    """Per Annex A control: the records behind it, the latest date, and whether an applicable
    control has no record in the last 12 months (``gap``)."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_soa)
    rules_by_action = {}

    @extend_schema(responses=s.EvidenceMapRowSerializer(many=True))
    def get(self, request):
        return Response(s.EvidenceMapRowSerializer(selectors.evidence_map(), many=True).data)


# --- incidents change risks -------------------------------------------------------------------


class _IncidentRiskView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_link_incident)
    rules_by_action = {}

    def incident(self, pk):
        from aims.core.api.fields import as_id
        from incidents.selectors import incidents_visible_to

        found = as_id(pk)
        incident = (
            incidents_visible_to(self.request.user).filter(pk=found).first() if found else None
        )
        if incident is None:
            raise NotFound(_("No such incident, or you may not see it."))
        return incident

    def answer(self, link):
        return Response(s.IncidentRiskLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class IncidentRisksView(_IncidentRiskView):
    """The risks this incident changed (materialised, re-rated, raised)."""

    default_rule = staticmethod(permissions.can_read_register)

    @extend_schema(responses=s.IncidentRiskLinkSerializer(many=True))
    def get(self, request, pk):
        incident = self.incident(pk)
        links = selectors.incident_links_of(incident, request.user)
        return Response(s.IncidentRiskLinkSerializer(links, many=True).data)


class IncidentRiskMaterialisedView(_IncidentRiskView):
    @extend_schema(
        request=s.IncidentRiskMaterialisedSerializer,
        responses={201: s.IncidentRiskLinkSerializer, **ERRORS},
    )
    def post(self, request, pk):
        """The incident is this risk happening."""
        incident = self.incident(pk)
        body = s.IncidentRiskMaterialisedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.answer(
            incident_links.incident_risk_materialised(
                actor=request.user, incident=incident, **body.validated_data
            )
        )


class IncidentRiskRerateView(_IncidentRiskView):
    @extend_schema(
        request=s.IncidentRiskRerateSerializer,
        responses={201: s.IncidentRiskLinkSerializer, **ERRORS},
    )
    def post(self, request, pk):
        """Re-rate a risk because of the incident (reason required; old and new kept)."""
        incident = self.incident(pk)
        body = s.IncidentRiskRerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.answer(
            incident_links.incident_risk_rerate(
                actor=request.user, incident=incident, **body.validated_data
            )
        )


class IncidentRiskRaiseView(_IncidentRiskView):
    @extend_schema(
        request=s.IncidentRiskRaiseSerializer,
        responses={201: s.IncidentRiskLinkSerializer, **ERRORS},
    )
    def post(self, request, pk):
        """Raise a new risk from the incident (on its affected systems)."""
        incident = self.incident(pk)
        body = s.IncidentRiskRaiseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.answer(
            incident_links.incident_risk_raise(
                actor=request.user, incident=incident, data=dict(body.validated_data)
            )
        )
