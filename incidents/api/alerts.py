"""Alert intake endpoints: Prometheus Alertmanager's webhook and a generic JSON shape.

Monitoring tools authenticate with an engineer service account's token
(``Authorization: Token <key>``). The role is checked before the body is read, so a refused
caller gets 403 whatever it sent; every error is JSON ``{"code", "message"}``. The services in
``incidents.services.alerts`` validate the whole payload and write it in one transaction.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import permissions as drf_permissions
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.parsers import JSONParser
from aims.core.exceptions import ValidationFailed

from .. import permissions
from ..services import alerts as alert_services
from ..services import monitors as alert_services_monitors
from .serializers import ErrorSerializer


class CanPostAlerts(drf_permissions.BasePermission):
    message = _(
        "Only engineers (monitoring service accounts), GRC staff and the AI risk officer post "
        "alerts."
    )

    def has_permission(self, request, view):
        return permissions.can_post_alerts(request.user)


AlertIntakeSummarySerializer = inline_serializer(
    "AlertIntakeSummary",
    fields={
        "opened": serializers.ListField(
            child=serializers.CharField(), help_text="References of the incidents opened."
        ),
        "updated": serializers.ListField(
            child=serializers.CharField(),
            help_text="Open incidents whose alert fired again (added to their timeline).",
        ),
        "resolved": serializers.ListField(
            child=serializers.CharField(),
            help_text="Open incidents whose alert resolved (noted on their timeline).",
        ),
        "ignored": serializers.IntegerField(
            help_text="Resolved alerts with no open incident, and repeats within the delivery."
        ),
    },
)

_AlertmanagerAlertSerializer = inline_serializer(
    "AlertmanagerAlert",
    fields={
        "status": serializers.CharField(help_text="`firing` or `resolved`."),
        "labels": serializers.DictField(
            child=serializers.CharField(),
            help_text="Must include `ai_system` (e.g. AIS-0001); `alertname` and `severity` "
            "(critical, high, error, warning, medium, info, low) are used when present.",
        ),
        "annotations": serializers.DictField(
            child=serializers.CharField(),
            required=False,
            help_text="`summary` becomes the incident title, `description` its description.",
        ),
        "startsAt": serializers.DateTimeField(),
        "endsAt": serializers.DateTimeField(required=False),
        "generatorURL": serializers.CharField(required=False),
        "fingerprint": serializers.CharField(),
    },
    many=True,
)

AlertmanagerPayloadSerializer = inline_serializer(
    "AlertmanagerWebhook",
    fields={
        "version": serializers.ChoiceField(choices=["4"]),
        "groupKey": serializers.CharField(required=False),
        "truncatedAlerts": serializers.IntegerField(required=False),
        "status": serializers.CharField(
            required=False, help_text="`firing` or `resolved` (of the group)."
        ),
        "receiver": serializers.CharField(required=False),
        "groupLabels": serializers.DictField(child=serializers.CharField(), required=False),
        "commonLabels": serializers.DictField(child=serializers.CharField(), required=False),
        "commonAnnotations": serializers.DictField(child=serializers.CharField(), required=False),
        "externalURL": serializers.CharField(required=False),
        "alerts": _AlertmanagerAlertSerializer,
    },
)

GenericAlertSerializer = inline_serializer(
    "GenericAlert",
    fields={
        "source": serializers.CharField(
            max_length=alert_services.MAX_SOURCE, help_text="The monitor's name, e.g. grafana."
        ),
        "fingerprint": serializers.CharField(
            help_text="De-duplication key: the same source and fingerprint join the same open "
            "incident."
        ),
        "status": serializers.CharField(help_text="`firing` or `resolved`."),
        "system": serializers.CharField(help_text="The AI system's reference, e.g. AIS-0001."),
        "title": serializers.CharField(
            required=False, help_text="Required when firing; the incident's title."
        ),
        "description": serializers.CharField(required=False),
        "severity": serializers.CharField(
            required=False, help_text="Suggested severity: P0, P1, P2, P3 (or 0 to 3)."
        ),
        "started_at": serializers.DateTimeField(
            required=False, help_text="ISO 8601; when the alert began (default: now)."
        ),
        "url": serializers.URLField(required=False, help_text="Link to the alert (http/https)."),
        "labels": serializers.DictField(required=False),
    },
)

ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer,
        description="Malformed JSON, a payload of the wrong shape, or an unknown AI system. "
        "Nothing is saved.",
    ),
    401: ErrorSerializer,
    403: ErrorSerializer,
    415: ErrorSerializer,
}

ALERTMANAGER_EXAMPLE = OpenApiExample(
    "Alertmanager webhook",
    request_only=True,
    value={
        "version": "4",
        "groupKey": '{}:{alertname="ChatbotToxicity"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "aims-register",
        "groupLabels": {"alertname": "ChatbotToxicity"},
        "commonLabels": {"alertname": "ChatbotToxicity", "ai_system": "AIS-0001"},
        "commonAnnotations": {},
        "externalURL": "https://alertmanager.example.com",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "ChatbotToxicity",
                    "ai_system": "AIS-0001",
                    "severity": "critical",
                },
                "annotations": {
                    "summary": "Toxic answers above 2% for 10 minutes",
                    "description": "The toxicity classifier flags 3.1% of answers.",
                },
                "startsAt": "2026-03-01T10:00:00.000Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://prometheus.example.com/graph?g0.expr=toxicity",
                "fingerprint": "a1b2c3d4e5f60718",
            }
        ],
    },
)


class _AlertIntakeView(APIView):
    """Shared shape: JSON only, role checked first, errors as ``validation_failed``."""

    parser_classes = [JSONParser]
    permission_classes = [drf_permissions.IsAuthenticated, CanPostAlerts]
    receive = None

    def post(self, request):
        try:
            payload = request.data
        except ParseError as exc:
            raise ValidationFailed(
                _("The body is not valid JSON: %s") % exc.detail, fields={"body": ["malformed"]}
            ) from exc
        summary = self.receive(actor=request.user, payload=payload)
        return Response(summary)


class AlertmanagerIntakeView(_AlertIntakeView):
    receive = staticmethod(alert_services.alertmanager_receive)

    @extend_schema(
        operation_id="alerts_alertmanager_receive",
        tags=["alerts"],
        summary="Receive a Prometheus Alertmanager webhook (payload version 4)",
        description=(
            "Point an Alertmanager `webhook_configs` receiver here, authenticated with an "
            "engineer service account's token (`http_config.authorization: {type: Token, "
            "credentials: <key>}`). Each alert names its AI system in label `ai_system`. "
            "The first firing alert opens an incident (detection source: automated monitoring; "
            "label `severity` suggests the severity); the same fingerprint firing again while "
            "that incident is open is added to its timeline; a resolved alert is noted there. "
            "An invalid alert anywhere in the payload saves nothing."
        ),
        request=AlertmanagerPayloadSerializer,
        responses={200: AlertIntakeSummarySerializer, **ERRORS},
        examples=[ALERTMANAGER_EXAMPLE],
    )
    def post(self, request):
        return super().post(request)


class GenericIntakeView(_AlertIntakeView):
    receive = staticmethod(alert_services.generic_alert_receive)

    @extend_schema(
        operation_id="alerts_generic_receive",
        tags=["alerts"],
        summary="Receive one alert from any monitor",
        description=(
            "One alert in a small JSON shape, for monitors other than Alertmanager. `source` and "
            "`fingerprint` together identify the alert: while the incident it opened is open, "
            "the same alert firing again is added to its timeline instead of opening another."
        ),
        request=GenericAlertSerializer,
        responses={200: AlertIntakeSummarySerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "Drift alert",
                request_only=True,
                value={
                    "source": "grafana",
                    "fingerprint": "drift-credit-eu",
                    "status": "firing",
                    "system": "AIS-0001",
                    "title": "Population stability index above 0.25",
                    "description": "PSI 0.31 on applicant income over the last 24 h.",
                    "severity": "P2",
                    "started_at": "2026-03-01T10:00:00Z",
                    "url": "https://grafana.example.com/d/drift",
                    "labels": {"team": "credit-ml"},
                },
            )
        ],
    )
    def post(self, request):
        return super().post(request)


# --- drift and quality monitors: their own output, preserved as evidence ----------------------


class CloudEventJSONParser(JSONParser):
    """A CloudEvent in structured mode (Seldon's detector servers can send these)."""

    media_type = "application/cloudevents+json"


SYSTEM_PARAMETER = OpenApiParameter(
    "system",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description="The AI system the monitor watches (e.g. `AIS-0001`), when the payload does "
    "not name it.",
)

AlibiDetectOutputSerializer = inline_serializer(
    "AlibiDetectOutput",
    fields={
        "data": serializers.DictField(
            help_text="`is_drift` (0/1), `distance`, `p_val`, `threshold` as the detector's "
            "`predict()` returns them."
        ),
        "meta": serializers.DictField(
            required=False,
            help_text="`name` (e.g. KSDrift), `detector_type`, `version`; `ai_system` may name "
            "the system.",
        ),
    },
)

EvidentlyRunSerializer = inline_serializer(
    "EvidentlyRun",
    fields={
        "tests": serializers.ListField(
            child=serializers.DictField(),
            required=False,
            help_text="A test suite's tests: `name`, `description`, `status` (SUCCESS, FAIL, "
            "WARNING, ERROR).",
        ),
        "summary": serializers.DictField(required=False),
        "metrics": serializers.ListField(
            child=serializers.DictField(),
            required=False,
            help_text="A report's metrics: `metric` and `result` (`dataset_drift`, "
            "`drift_detected`, `share_of_drifted_columns`).",
        ),
        "timestamp": serializers.DateTimeField(required=False),
        "metadata": serializers.DictField(required=False),
        "tags": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class _MonitorIntakeView(_AlertIntakeView):
    """The body is kept as received (it becomes evidence) and parsed by the API's JSON parser."""

    parser_classes = [JSONParser, CloudEventJSONParser]

    def post(self, request):
        raw = request.body
        try:
            payload = request.data
        except ParseError as exc:
            raise ValidationFailed(
                _("The body is not valid JSON: %s") % exc.detail, fields={"body": ["malformed"]}
            ) from exc
        return Response(self.receive_report(request, payload, raw))


class AlibiDetectIntakeView(_MonitorIntakeView):
    def receive_report(self, request, payload, raw):
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("ce-")}
        return alert_services_monitors.alibi_detect_receive(
            actor=request.user,
            payload=payload,
            raw=raw,
            system=request.query_params.get("system", ""),
            headers=headers,
        )

    @extend_schema(
        operation_id="alerts_alibi_detect_receive",
        tags=["alerts"],
        summary="Receive an Alibi Detect detector's output (bare or as a Seldon CloudEvent)",
        description=(
            "Send the detector's `predict()` output as it is, or the CloudEvent Seldon sends "
            "(structured mode, or binary mode with `ce-*` headers). `data.is_drift` 1 opens an "
            "incident (or goes on the open one's timeline), 0 notes it as resolved. The body "
            "as received is preserved as an evidence item of that incident, with its SHA-256."
        ),
        parameters=[SYSTEM_PARAMETER],
        request=AlibiDetectOutputSerializer,
        responses={200: AlertIntakeSummarySerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "KSDrift",
                request_only=True,
                value={
                    "data": {"is_drift": 1, "distance": 0.42, "p_val": 0.001, "threshold": 0.05},
                    "meta": {"name": "KSDrift", "detector_type": "drift", "version": "0.12.0"},
                },
            )
        ],
    )
    def post(self, request):
        return super().post(request)


class EvidentlyIntakeView(_MonitorIntakeView):
    def receive_report(self, request, payload, raw):
        return alert_services_monitors.evidently_receive(
            actor=request.user,
            payload=payload,
            raw=raw,
            system=request.query_params.get("system", ""),
        )

    @extend_schema(
        operation_id="alerts_evidently_receive",
        tags=["alerts"],
        summary="Receive an Evidently test suite or report (its JSON)",
        description=(
            "Send `TestSuite.json()` or `Report.json()` as it is. A failed (or errored) test, or "
            "a metric reporting dataset drift, opens an incident or goes on the open one's "
            "timeline; a clean run notes it as resolved. The body as received is preserved as "
            "an evidence item of that incident, with its SHA-256."
        ),
        parameters=[SYSTEM_PARAMETER],
        request=EvidentlyRunSerializer,
        responses={200: AlertIntakeSummarySerializer, **ERRORS},
    )
    def post(self, request):
        return super().post(request)
