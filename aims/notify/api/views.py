"""Notifications API: deliveries (of one record, or to me) and the in-app inbox."""

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
            "target_type",
            OpenApiTypes.STR,
            description=(
                "The record's type as app_label.model, e.g. incidents.incident. With "
                "target_id: that record's deliveries. Without both: the deliveries sent to you."
            ),
        ),
        OpenApiParameter("target_id", OpenApiTypes.INT, description="The record's numeric id."),
    ],
)
class DeliveryListView(ListAPIView):
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        params = self.request.query_params
        raw_type, raw_id = params.get("target_type", ""), params.get("target_id", "")
        if not raw_type and not raw_id:
            return selectors.deliveries_to(self.request.user)
        if not raw_type or not raw_id:
            raise ValidationError(
                {"target_type": ["Give target_type and target_id together, or neither."]}
            )
        try:
            model = apps.get_model(raw_type)
        except (LookupError, ValueError) as exc:
            raise ValidationError(
                {
                    "target_type": [
                        "Give the record type as app_label.model, e.g. incidents.incident."
                    ]
                }
            ) from exc
        try:
            pk = int(raw_id)
        except ValueError as exc:
            raise ValidationError({"target_id": ["Give the record's numeric id."]}) from exc
        records = visible_queryset(self.request.user, model)
        if records is None:
            raise ValidationError({"target_type": [f"{raw_type} records have no deliveries here."]})
        record = records.filter(pk=pk).first()
        if record is None:
            raise NotFound("No such record, or you may not see it.")
        return selectors.deliveries_for_target(record)


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
