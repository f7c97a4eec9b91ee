"""Detection through the API: the alerts each monitoring rule produced (``/alert-links/``), and
the threshold changes incidents prompted (``/incidents/{id}/threshold-changes/``)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.permissions import require
from inventory.choices import Comparison
from inventory.models import MonitoringRule

from .. import permissions, selectors, services
from ..choices import AlertSource, AlertState
from ..models import AlertLink, DetectionThresholdChange
from .evidence import EvidencePermission
from .serializers import ErrorSerializer

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


class AlertLinkSerializer(serializers.ModelSerializer):
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    system = serializers.IntegerField(source="monitoring_rule.system_id", read_only=True)

    class Meta:
        model = AlertLink
        fields = [
            "id",
            "incident",
            "incident_reference",
            "source",
            "fingerprint",
            "alert_name",
            "state",
            "labels",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "monitoring_rule",
            "system",
        ]
        read_only_fields = fields


class AlertLinkFilter(django_filters.FilterSet):
    incident = django_filters.NumberFilter(field_name="incident_id", label=_("Incident (id)"))
    monitoring_rule = django_filters.NumberFilter(
        field_name="monitoring_rule_id", label=_("Monitoring rule (id)")
    )
    system = django_filters.NumberFilter(
        field_name="monitoring_rule__system_id", label=_("AI system (id) of the rule")
    )
    source = django_filters.ChoiceFilter(choices=AlertSource.choices)
    state = django_filters.ChoiceFilter(choices=AlertState.choices)

    class Meta:
        model = AlertLink
        fields = ["incident", "monitoring_rule", "system", "source", "state"]


class AlertLinkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Alerts that opened or joined incidents you may see, with the monitoring rule behind each
    (matched by the alert's ``metric`` label or name). Filter by ``monitoring_rule`` to list
    what a rule produced."""

    queryset = AlertLink.objects.none()
    serializer_class = AlertLinkSerializer
    permission_classes = [drf_permissions.IsAuthenticated, EvidencePermission]
    filterset_class = AlertLinkFilter

    def get_queryset(self):
        visible = selectors.incidents_visible_to(self.request.user)
        return (
            AlertLink.objects.filter(incident__in=visible)
            .select_related("incident", "monitoring_rule")
            .order_by("-last_seen_at", "-id")
        )


class ThresholdChangeSerializer(serializers.ModelSerializer):
    system = serializers.IntegerField(source="monitoring_rule.system_id", read_only=True)
    changed_by = serializers.StringRelatedField()

    class Meta:
        model = DetectionThresholdChange
        fields = [
            "id",
            "incident",
            "monitoring_rule",
            "system",
            "metric",
            "old_comparison",
            "old_threshold",
            "new_comparison",
            "new_threshold",
            "reason",
            "changed_by",
            "changed_at",
        ]
        read_only_fields = fields


class ThresholdChangeRequestSerializer(serializers.Serializer):
    monitoring_rule = serializers.PrimaryKeyRelatedField(
        queryset=MonitoringRule.objects.all(),
        help_text="A monitoring rule of one of the incident's affected systems.",
    )
    threshold = serializers.DecimalField(max_digits=18, decimal_places=6)
    comparison = serializers.ChoiceField(
        choices=Comparison.choices, required=False, help_text="Omit to keep the rule's own."
    )
    reason = serializers.CharField(max_length=5000, help_text="What the incident showed.")


class IncidentThresholdChangesView(APIView):
    permission_classes = [drf_permissions.IsAuthenticated, EvidencePermission]

    def _incident(self, request, pk):
        incident = selectors.incidents_visible_to(request.user).filter(pk=pk).first()
        if incident is None:
            raise NotFound(_("No such incident, or you may not see it."))
        return incident

    @extend_schema(
        summary="Threshold changes this incident prompted.",
        responses={200: ThresholdChangeSerializer(many=True), 404: ErrorSerializer},
    )
    def get(self, request, pk: int):
        incident = self._incident(request, pk)
        changes = incident.threshold_changes.select_related("monitoring_rule", "changed_by")
        return Response(ThresholdChangeSerializer(changes, many=True).data)

    @extend_schema(
        summary="Change a detection threshold of an affected system because of this incident.",
        request=ThresholdChangeRequestSerializer,
        responses={201: ThresholdChangeSerializer, **ERRORS},
    )
    def post(self, request, pk: int):
        incident = self._incident(request, pk)
        require(permissions.can_change_detection(request.user, incident))
        body = ThresholdChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = services.threshold_change_for_incident(
            actor=request.user,
            incident=incident,
            rule=data["monitoring_rule"],
            data={
                "threshold": data["threshold"],
                "comparison": data.get("comparison", ""),
                "reason": data["reason"],
            },
        )
        return Response(ThresholdChangeSerializer(change).data, status=status.HTTP_201_CREATED)
