"""The evidence trail of one AI system and the consistency check of the inventory, over the API
(``risk.trail``): ``GET /api/v1/systems/{id}/trail/`` and ``GET /api/v1/consistency/``."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions as drf_permissions
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.fields import as_id
from aims.core.exceptions import ValidationFailed

from .. import permissions, trail
from .views import ERRORS, DecisionPermission

# --- serializers --------------------------------------------------------------------------------


class GapSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code of the kind of gap.")
    system = serializers.IntegerField(source="system_id", allow_null=True)
    system_reference = serializers.CharField()
    subject = serializers.CharField(help_text="The record concerned (version, INC-…, RISK-…).")
    message = serializers.CharField(help_text="What is missing.")
    fix_url = serializers.CharField(help_text="The page where it is put right.")


class TrailRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    at = serializers.SerializerMethodField()

    def get_at(self, row) -> str | None:
        return row.at.isoformat() if row.at else None


class TrailStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    rows = TrailRowSerializer(many=True)
    gaps = GapSerializer(many=True)


class SystemTrailSerializer(serializers.Serializer):
    system = serializers.IntegerField(source="system.pk")
    reference = serializers.CharField(source="system.reference")
    name = serializers.CharField(source="system.name")
    generated_at = serializers.DateTimeField()
    steps = TrailStepSerializer(many=True)
    gaps = GapSerializer(many=True)


class GapKindCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class ConsistencySerializer(serializers.Serializer):
    systems_checked = serializers.IntegerField()
    kinds = GapKindCountSerializer(many=True)
    gaps = GapSerializer(many=True)


# --- views --------------------------------------------------------------------------------------


class SystemTrailView(APIView):
    """One system's trail: requirement -> evaluation -> approval -> deployment -> monitoring ->
    incidents -> CAPAs -> risks (and registered steps), each step's gaps flagged."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_trail)
    rules_by_action = {}

    @extend_schema(responses={200: SystemTrailSerializer, **ERRORS})
    def get(self, request, pk):
        found = as_id(pk)
        system = trail.trail_system(request.user, found) if found else None
        if system is None:
            raise NotFound(_("No such AI system, or you may not read its trail."))
        return Response(SystemTrailSerializer(trail.system_trail(request.user, system)).data)


class ConsistencyView(APIView):
    """Every gap of the evidence trails of the systems the caller may see, with the count of
    each kind; ``kind`` (repeatable) and ``system`` narrow the list."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_trail)
    rules_by_action = {}

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, many=True, description="Gap code(s)."),
            OpenApiParameter("system", int, description="AI system id."),
        ],
        responses={200: ConsistencySerializer, **ERRORS},
    )
    def get(self, request):
        known = dict(trail.gap_kinds())
        kinds = request.query_params.getlist("kind")
        unknown = [k for k in kinds if k not in known]
        if unknown:
            raise ValidationFailed(
                _("Unknown gap kind; choose from: %(codes)s.") % {"codes": ", ".join(known)},
                fields={"kind": [_("Unknown gap kind.")]},
            )
        system_id = None
        if request.query_params.get("system"):
            system_id = as_id(request.query_params["system"])
            if system_id is None:
                raise ValidationFailed(
                    _("The system is an AI system's id."), fields={"system": [_("Not an id.")]}
                )
        result = trail.consistency_check(request.user, codes=kinds or None, system_id=system_id)
        payload = {
            "systems_checked": result["systems"],
            "kinds": [
                {"code": code, "label": label, "count": result["counts"].get(code, 0)}
                for code, label in known.items()
            ],
            "gaps": result["gaps"],
        }
        return Response(ConsistencySerializer(payload).data)
