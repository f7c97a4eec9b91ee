"""Notifications API: deliveries (by incident or to me) and the in-app inbox."""

from django.apps import apps
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.visibility import visible_queryset

from .. import selectors, services
from ..models import Delivery, Notification
from .serializers import DeliverySerializer, MarkReadSerializer, NotificationSerializer


@extend_schema(
    summary="Reminders and escalations with every delivery attempt and its result.",
    parameters=[
        OpenApiParameter(
            "incident",
            OpenApiTypes.INT,
            description="An incident's id: its deliveries. Without it: the deliveries sent to you.",
        )
    ],
)
class DeliveryListView(ListAPIView):
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        raw = self.request.query_params.get("incident")
        if raw in (None, ""):
            return selectors.deliveries_to(self.request.user)
        try:
            pk = int(raw)
        except ValueError as exc:
            raise ValidationError({"incident": ["Give the incident's numeric id."]}) from exc
        incidents = visible_queryset(self.request.user, apps.get_model("incidents", "Incident"))
        incident = incidents.filter(pk=pk).first() if incidents is not None else None
        if incident is None:
            raise NotFound("No such incident, or you may not see it.")
        return selectors.deliveries_for_target(incident)


@extend_schema(summary="My in-app inbox, newest first.")
class InboxView(ListAPIView):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.inbox(self.request.user)


class MarkReadView(APIView):
    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": drf_serializers.IntegerField()}),
    )
    def post(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        marked = services.notification_mark_read(
            actor=request.user, notification_ids=serializer.validated_data.get("ids")
        )
        return Response({"marked": marked})
