"""Disclosure API: the regimes table (read by all, changed by legal and GRC) and the what-if
evaluation, which answers the obligations for given facts without storing anything."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.concurrency import etag_of

from .. import permissions, rules, selectors, services
from ..models import RegimeRule
from . import serializers as s


class DecisionPermission(drf_permissions.BasePermission):
    """Asks the view's rule for the action (``rules_by_action``), before the body is read."""

    def has_permission(self, request, view):
        action = getattr(view, "action", None) or request.method.lower()
        rule = view.rules_by_action.get(action, view.default_rule)
        decision = rule(request.user)
        self.message = decision.message
        return bool(decision)


class RegimeRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Each regime and stage: its trigger, clock start, deadline rule, recipient, required
    content, legal source and whether it needs legal review. ``PATCH`` honours ``If-Match``."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = s.RegimeRuleSerializer
    queryset = RegimeRule.objects.none()
    pagination_class = None
    default_rule = staticmethod(permissions.can_read_regimes)
    rules_by_action = {
        "update": permissions.can_edit_regimes,
        "partial_update": permissions.can_edit_regimes,
    }

    def get_queryset(self):
        return selectors.regime_rules()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return s.RegimeRuleUpdateSerializer
        return s.RegimeRuleSerializer

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(self.get_object())
        return response

    @extend_schema(request=s.RegimeRuleUpdateSerializer, responses=s.RegimeRuleSerializer)
    def update(self, request, *args, **kwargs):
        regime = self.get_object()
        serializer = s.RegimeRuleUpdateSerializer(
            regime, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "applies_from_by_class" in data:
            data["applies_from_by_class"] = {
                k: v.isoformat() for k, v in data["applies_from_by_class"].items()
            }
        saved = services.regime_update(
            actor=request.user,
            regime=regime,
            data=data,
            expected_version=request.headers.get("If-Match"),
        )
        response = Response(s.RegimeRuleSerializer(saved).data)
        response["ETag"] = etag_of(saved)
        return response

    @extend_schema(request=s.RegimeRuleUpdateSerializer, responses=s.RegimeRuleSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


def facts_from(data: dict) -> rules.Facts:
    """The what-if body as the rules' ``Facts`` (the names are the same)."""
    incident = dict(data.get("incident") or {})
    system = dict(data.get("system") or {})
    incident["jurisdictions"] = tuple(j.upper() for j in incident.get("jurisdictions", ()))
    incident["phi_residents_by_state"] = {
        k.upper(): v for k, v in (incident.get("phi_residents_by_state") or {}).items()
    }
    return rules.Facts(aware_at=data["aware_at"], **incident, **system)


class EvaluateView(APIView):
    """What-if: the obligations these facts trigger, with deadlines — nothing is stored."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_evaluate)
    rules_by_action = {}

    @extend_schema(
        request=s.EvaluateSerializer,
        responses=s.ObligationSerializer(many=True),
        summary="Evaluate the disclosure rules for given facts (tabletop exercises, rule tests).",
    )
    def post(self, request):
        serializer = s.EvaluateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obligations = rules.evaluate(facts_from(serializer.validated_data), selectors.regimes())
        return Response([o.as_dict() for o in obligations])
