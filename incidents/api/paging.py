"""Inbound PagerDuty webhooks (v3): the on-call tool's acknowledgements on the timeline.

No token: the request is authenticated by its ``X-PagerDuty-Signature`` (HMAC-SHA256 of the raw
body with the subscription's secret, ``PAGERDUTY_WEBHOOK_SECRET``). Throttled like every
anonymous API call. The service checks the signature before it reads the body.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions as drf_permissions
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.response import Response
from rest_framework.views import APIView

from ..services import paging as paging_services
from .serializers import ErrorSerializer

PagerDutyWebhookSerializer = inline_serializer(
    "PagerDutyWebhookV3",
    fields={
        "event": inline_serializer(
            "PagerDutyWebhookV3Event",
            fields={
                "id": serializers.CharField(help_text="The event's id: recorded once."),
                "event_type": serializers.CharField(help_text="e.g. incident.acknowledged"),
                "resource_type": serializers.CharField(help_text="`incident` is recorded."),
                "occurred_at": serializers.DateTimeField(),
                "agent": serializers.DictField(
                    required=False, allow_null=True, help_text="Who acted (`summary`)."
                ),
                "data": serializers.DictField(
                    help_text="The incident: `type` incident, `incident_key` (the register's "
                    "reference, sent as `dedup_key`), `status`, `html_url`, `title`."
                ),
            },
        )
    },
)

PagerDutyWebhookAnswerSerializer = inline_serializer(
    "PagerDutyWebhookAnswer",
    fields={
        "status": serializers.ChoiceField(
            choices=["recorded", "duplicate", "ignored"],
            help_text="`recorded` on the incident's timeline; `duplicate`: this event id was "
            "recorded already; `ignored`: not an incident event, or no incident of this "
            "register has its incident_key.",
        ),
        "incident": serializers.CharField(allow_null=True, help_text="The incident's reference."),
        "detail": serializers.CharField(allow_blank=True),
    },
)


class PagerDutyWebhookView(APIView):
    authentication_classes = []
    permission_classes = [drf_permissions.AllowAny]

    @extend_schema(
        operation_id="paging_pagerduty_webhook",
        tags=["paging"],
        summary="Receive a PagerDuty webhook (v3)",
        description=(
            "Create a PagerDuty webhook subscription (v3) pointing here and set its signing "
            "secret as `PAGERDUTY_WEBHOOK_SECRET`. Each incident event whose `incident_key` is "
            "an incident's reference (the `dedup_key` the register pages with) goes on that "
            "incident's timeline, once per event id. Other events and unknown keys are "
            "answered 202 and ignored, so PagerDuty does not retry them."
        ),
        parameters=[
            OpenApiParameter(
                "X-PagerDuty-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="`v1=<hex HMAC-SHA256 of the body>`, several comma-separated "
                "while a secret is rotated.",
            )
        ],
        request=PagerDutyWebhookSerializer,
        responses={
            202: PagerDutyWebhookAnswerSerializer,
            400: OpenApiResponse(
                ErrorSerializer, description="Not JSON, or not a webhook v3 envelope."
            ),
            401: OpenApiResponse(ErrorSerializer, description="Signature missing or wrong."),
            404: OpenApiResponse(
                ErrorSerializer,
                description="PagerDuty webhooks are not enabled (no signing secret set).",
            ),
        },
        examples=[
            OpenApiExample(
                "Acknowledged",
                request_only=True,
                value={
                    "event": {
                        "id": "01DEN3K7ZDNQ2ELWBG3BPBNXAY",
                        "event_type": "incident.acknowledged",
                        "resource_type": "incident",
                        "occurred_at": "2026-03-01T10:04:00.000Z",
                        "agent": {"summary": "Dana Oncall", "type": "user_reference"},
                        "data": {
                            "id": "Q2W3E4R5T6",
                            "type": "incident",
                            "incident_key": "INC-2026-0042",
                            "status": "acknowledged",
                            "html_url": "https://acme.pagerduty.com/incidents/Q2W3E4R5T6",
                            "title": "P0 INC-2026-0042 Credit scoring drift",
                        },
                    }
                },
            )
        ],
    )
    def post(self, request):
        if not (request.content_type or "").startswith("application/json"):
            raise UnsupportedMediaType(request.content_type)
        answer = paging_services.pagerduty_webhook_receive(
            body=request.body, signature=request.headers.get("X-PagerDuty-Signature", "")
        )
        return Response(answer, status=status.HTTP_202_ACCEPTED)
