"""Incident register API. Viewsets check the request's shape and call ``incidents.services``.

Who may see an incident is ``selectors.incidents_visible_to`` (an incident you may not see
answers 404); who may act on it is ``incidents.permissions``, checked here before the body is
read so a refused caller gets 403 rather than a validation error, and checked again by the
service, which is the authority. Every error is JSON (``aims.core.api.exceptions``).
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from aims.core.api.fields import as_id
from aims.core.api.pagination import RegisterPagination
from aims.core.concurrency import etag_of
from inventory.selectors import systems_visible_to

from .. import permissions, selectors, services
from ..filters import IncidentFilter
from ..models import Incident
from ..services.evidence import EvidenceTooLarge
from . import serializers as s
from .renderers import CSVRenderer

EVIDENCE_MULTIPART_ALLOWANCE = 64 * 1024  # boundaries and the other form fields
RECENT_CHANGE_DAYS = 14


def _no_role_message() -> str:
    return _("Your account has no role in AIMS Register; ask GRC staff to assign one.")


# What each write on an incident needs, from ``incidents.permissions``. Anything not named here
# needs at least ``can_contribute`` (read-only roles write nothing); the service checks again.
# Each write's rule (``incidents.permissions``), asked before the body is read; the service
# asks the same rule again and is the authority. The refusal is the rule's own sentence, the same
# words the incident page shows.
INCIDENT_ACTION_RULES = {
    "update": permissions.can_edit_incident,
    "partial_update": permissions.can_edit_incident,
    "transition": permissions.can_move_incident,
    "severity": permissions.can_change_severity,
    "lead": permissions.can_assign_lead,
    "participants": permissions.can_add_participant,
    "systems": permissions.can_add_system,
    "notes": permissions.can_add_note,
    "evidence": permissions.can_add_evidence,
    "containment": permissions.can_decide_containment,
    "registry_rollback_retry": permissions.can_decide_containment,
    "evidence_waiver": permissions.can_approve_waiver,
    "notifications": permissions.can_record_notification,
}


class IncidentPermission(drf_permissions.BasePermission):
    """Refuse early what the services would refuse anyway, before the body is read."""

    message = _("Your role cannot do this on incidents.")

    def has_permission(self, request, view):
        user = request.user
        decision = permissions.can_use_register(user)
        if decision and view.action == "create":
            decision = permissions.can_file_incident(user)
        elif decision and view.action == "export":
            decision = permissions.can_export_register(user)
        self.message = decision.message
        return bool(decision)

    def has_object_permission(self, request, view, obj):
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        rule = INCIDENT_ACTION_RULES.get(view.action, permissions.can_contribute)
        decision = rule(request.user, obj)
        self.message = decision.message
        return bool(decision)


def request_hash(data: dict) -> str:
    """SHA-256 of the validated request body as canonical JSON (sorted keys, systems by id)."""
    canonical = dict(data)
    if "systems" in canonical:
        canonical["systems"] = [system.pk for system in canonical["systems"]]
    if "atlas_techniques" in canonical:
        canonical["atlas_techniques"] = sorted(t.atlas_id for t in canonical["atlas_techniques"])
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Makes a retried create safe: the same key with the same body returns the "
    "incident it made (200, header Idempotent-Replayed: true); with another body it answers 422.",
)
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


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The incident register: file, read, edit, and move incidents through their lifecycle.

    Status moves only through ``transition``; incidents are never deleted.
    """

    queryset = Incident.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, IncidentPermission]
    filterset_class = IncidentFilter
    pagination_class = RegisterPagination
    serializer_class = s.IncidentSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action in ("list", "export"):
            return selectors.register(user)
        return selectors.incidents_visible_to(user)

    def get_serializer_class(self):
        return {
            "list": s.IncidentRowSerializer,
            "create": s.IncidentCreateSerializer,
            "update": s.IncidentUpdateSerializer,
            "partial_update": s.IncidentUpdateSerializer,
        }.get(self.action, s.IncidentSerializer)

    def get_object(self):
        if self.action != "retrieve":
            return super().get_object()
        pk = as_id(self.kwargs["pk"])
        incident = selectors.incident_page(self.request.user, pk) if pk is not None else None
        if incident is None:
            raise Http404
        self.check_object_permissions(self.request, incident)
        return incident

    def detail_response(
        self, incident, *, status_code=status.HTTP_200_OK, headers=None, reload=True
    ):
        """The full record as the incident page shows it, with its ETag.

        After a write the record is read again through ``selectors.incident_page``, so the answer
        shows what was stored, with its related rows prefetched.
        """
        fresh = incident
        if reload:
            fresh = selectors.incident_page(self.request.user, incident.pk) or incident
        serializer = s.IncidentSerializer(fresh, context=self.get_serializer_context())
        headers = {"ETag": etag_of(fresh), **(headers or {})}
        return Response(serializer.data, status=status_code, headers=headers)

    # --- the record -----------------------------------------------------------------------------

    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.get_object(), reload=False)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=s.IncidentCreateSerializer,
        responses={
            201: s.IncidentSerializer,
            200: OpenApiResponse(s.IncidentSerializer, description="Replayed Idempotency-Key."),
            422: s.ErrorSerializer,
            **ERRORS,
        },
    )
    def create(self, request, *args, **kwargs):
        """File an incident or near miss; affected systems by id or reference."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        systems = data.pop("systems", [])
        severity = data.pop("severity", None)
        severity_reason = data.pop("severity_reason", "")
        arguments = {
            "actor": request.user,
            "data": data,
            "systems": systems,
            "severity": severity,
            "severity_reason": severity_reason,
        }
        key = request.headers.get("Idempotency-Key")
        replayed = False
        if key is not None:
            incident, replayed = services.incident_create_idempotent(
                key=key.strip(), request_hash=request_hash(serializer.validated_data), **arguments
            )
        else:
            incident = services.incident_create(**arguments)
        headers = {"Location": reverse("incident-detail", args=[incident.pk])}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return self.detail_response(
            incident,
            status_code=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
            headers=headers,
        )

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        """Edit the record (not status, severity or lead: they have their own actions)."""
        partial = kwargs.pop("partial", False)
        incident = self.get_object()
        serializer = self.get_serializer(incident, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_update(
            actor=request.user,
            incident=incident,
            data=dict(serializer.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self.detail_response(incident)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentSerializer, 412: s.ErrorSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    # --- lifecycle, severity, people ------------------------------------------------------------

    @extend_schema(request=s.TransitionSerializer, responses={200: s.IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the lifecycle one step. A failing guard answers 409 saying what is missing."""
        incident = self.get_object()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_transition(
            actor=request.user,
            incident=incident,
            to=body.validated_data["to"],
            reason=body.validated_data["reason"],
        )
        return self.detail_response(incident)

    @extend_schema(
        request=s.SeverityChangeSerializer, responses={200: s.IncidentSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def severity(self, request, pk=None):
        """Set or change the severity, with a reason. Lowering it needs GRC or the risk officer."""
        incident = self.get_object()
        body = s.SeverityChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_set_severity(
            actor=request.user,
            incident=incident,
            severity=body.validated_data["severity"],
            reason=body.validated_data["reason"],
        )
        return self.detail_response(incident)

    @extend_schema(request=s.LeadSerializer, responses={200: s.IncidentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def lead(self, request, pk=None):
        """Assign the incident lead (GRC or the AI risk officer)."""
        incident = self.get_object()
        body = s.LeadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.incident_assign_lead(
            actor=request.user, incident=incident, lead=body.validated_data["user"]
        )
        return self.detail_response(incident)

    @extend_schema(
        request=s.ParticipantAddSerializer, responses={201: s.ParticipantSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        """Add a participant with their part (scribe, communications liaison, subject expert)."""
        incident = self.get_object()
        body = s.ParticipantAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        participant = services.participant_add(
            actor=request.user,
            incident=incident,
            user=body.validated_data["user"],
            part=body.validated_data["part"],
        )
        return Response(s.ParticipantSerializer(participant).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AddSystemSerializer, responses={201: s.AffectedSystemSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def systems(self, request, pk=None):
        """Add an affected system; it is pinned to the model version in production at detection."""
        incident = self.get_object()
        body = s.AddSystemSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        affected = services.incident_add_system(
            actor=request.user, incident=incident, system=body.validated_data["system"]
        )
        return Response(s.AffectedSystemSerializer(affected).data, status=status.HTTP_201_CREATED)

    @extend_schema(filters=False, responses={200: s.RecentChangesSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], url_path="recent-changes", pagination_class=None)
    def recent_changes(self, request, pk=None):
        """Per affected system, its change-log entries of the 14 days before detection."""
        incident = self.get_object()
        changes = selectors.recent_changes(incident, days=RECENT_CHANGE_DAYS)
        affected = incident.affected_systems.select_related("system").order_by("id")
        since = incident.detected_at - timedelta(days=RECENT_CHANGE_DAYS)
        rows = [
            {
                "system": a.system,
                "since": since,
                "until": incident.detected_at,
                "deployments": changes.get(a.system_id, []),
            }
            for a in affected
        ]
        context = self.get_serializer_context()
        return Response(s.RecentChangesSerializer(rows, many=True, context=context).data)

    # --- timeline and notes ---------------------------------------------------------------------

    @extend_schema(filters=False, responses={200: s.TimelineEntrySerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """Every status and severity change, decision, approval, evidence and note, in order."""
        incident = self.get_object()
        entries = selectors.timeline(incident)
        page = self.paginate_queryset(entries)
        serializer = s.TimelineEntrySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(request=s.NoteSerializer, responses={201: s.TimelineEntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """Add a note to the timeline."""
        incident = self.get_object()
        body = s.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.note_add(
            actor=request.user, incident=incident, body=body.validated_data["body"]
        )
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.NotificationRecordSerializer,
        responses={201: s.TimelineEntrySerializer, **ERRORS},
        summary="Record a notification made outside the product; the leadership notice meets "
        "the P0/P1 leadership clock.",
    )
    @action(detail=True, methods=["post"])
    def notifications(self, request, pk=None):
        incident = self.get_object()
        body = s.NotificationRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.notification_record(
            actor=request.user, incident=incident, **body.validated_data
        )
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    # --- evidence and containment ---------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        filters=False,
        request=None,
        responses={200: s.EvidenceSerializer(many=True), **ERRORS},
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses={201: s.EvidenceSerializer, 413: s.ErrorSerializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
    )
    def evidence(self, request, pk=None):
        """List the incident's evidence, or preserve a file (multipart) — write-once, hashed."""
        incident = self.get_object()
        if request.method == "GET":
            items = incident.evidence.select_related("captured_by", "incident").order_by(
                "captured_at", "id"
            )
            page = self.paginate_queryset(items)
            context = self.get_serializer_context()
            return self.get_paginated_response(
                s.EvidenceSerializer(page, many=True, context=context).data
            )
        self.refuse_oversized_upload(request)
        body = s.EvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        evidence = services.evidence_add(
            actor=request.user,
            incident=incident,
            uploaded_file=data["file"],
            kind=data["kind"],
            description=data["description"],
            period_start=data["period_start"],
            period_end=data["period_end"],
        )
        context = self.get_serializer_context()
        return Response(
            s.EvidenceSerializer(evidence, context=context).data, status=status.HTTP_201_CREATED
        )

    @staticmethod
    def refuse_oversized_upload(request):
        """Answer 413 from the declared length, before the body is read or stored."""
        limit = settings.EVIDENCE_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + EVIDENCE_MULTIPART_ALLOWANCE:
            raise EvidenceTooLarge(
                _(
                    "The upload is %(size)s bytes; evidence files are limited to %(limit)s bytes. "
                    "Split or compress it and upload again."
                )
                % {"size": length, "limit": limit}
            )

    @extend_schema(
        request=s.ContainmentSerializer, responses={201: s.ContainmentDecisionSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def containment(self, request, pk=None):
        """Record the containment decision. Refused until evidence is preserved (or waived)."""
        incident = self.get_object()
        body = s.ContainmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = services.containment_decide(
            actor=request.user,
            incident=incident,
            option=body.validated_data["option"],
            rationale=body.validated_data["rationale"],
            fallback_version=body.validated_data.get("fallback_version"),
            move_registry_alias=body.validated_data["move_registry_alias"],
        )
        return Response(
            s.ContainmentDecisionSerializer(decision).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        filters=False,
        request=None,
        responses={200: s.RegistryRollbackSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="registry-rollbacks")
    def registry_rollbacks(self, request, pk=None):
        """The incident's rollbacks through the model registry and how far each got."""
        incident = self.get_object()
        rollbacks = incident.registry_rollbacks.select_related(
            "to_version", "from_version", "deployment"
        ).order_by("created_at", "id")
        page = self.paginate_queryset(rollbacks)
        return self.get_paginated_response(s.RegistryRollbackSerializer(page, many=True).data)

    @extend_schema(request=None, responses={202: s.RegistryRollbackSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="registry-rollbacks/retry")
    def registry_rollback_retry(self, request, pk=None):
        """Ask again for the incident's latest rollback in the registry, when it failed; the
        move runs in a task (202). Answers 400 when there is no failed rollback to retry."""
        rollback = services.registry_rollback_retry(actor=request.user, incident=self.get_object())
        return Response(
            s.RegistryRollbackSerializer(rollback).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(request=s.WaiverSerializer, responses={201: s.ApprovalSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="evidence-waiver")
    def evidence_waiver(self, request, pk=None):
        """The AI risk officer waives 'preserve evidence first', with a reason."""
        incident = self.get_object()
        body = s.WaiverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = services.evidence_waiver_approve(
            actor=request.user, incident=incident, reason=body.validated_data["reason"]
        )
        return Response(s.ApprovalSerializer(approval).data, status=status.HTTP_201_CREATED)

    # --- the register as a whole ----------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Title and description text."),
            OpenApiParameter(
                "system",
                OpenApiTypes.STR,
                many=True,
                description="AI system id or reference; repeat for several.",
            ),
            OpenApiParameter(
                "exclude", OpenApiTypes.INT, description="Leave out this incident (its id)."
            ),
        ],
        responses={200: s.IncidentBriefSerializer(many=True), 400: s.ErrorSerializer},
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def similar(self, request):
        """Past incidents on the same systems or with similar text, best match first."""
        params = s.SimilarQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        system_ids = []
        visible = systems_visible_to(request.user)
        for value in params.validated_data["system"]:
            text = value.strip()
            pk = as_id(text)
            lookup = {"pk": pk} if pk is not None else {"reference__iexact": text}
            system_ids.extend(visible.filter(**lookup).values_list("pk", flat=True))
        incidents = selectors.similar_incidents(
            request.user,
            text=params.validated_data["q"],
            system_ids=system_ids,
            exclude_pk=params.validated_data.get("exclude"),
        )
        context = self.get_serializer_context()
        return Response(s.IncidentBriefSerializer(incidents, many=True, context=context).data)

    @extend_schema(
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The filtered register as CSV."
            ),
            301: OpenApiResponse(
                description="Moved permanently to /api/v1/register-exports/csv/ with the same "
                "query."
            ),
            403: s.ErrorSerializer,
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="export",
        renderer_classes=[renderers.JSONRenderer, CSVRenderer],
        pagination_class=None,
    )
    def export(self, request):
        """The filtered register as CSV: the reporting module's stream, with the same filters."""
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(
            "/api/v1/register-exports/csv/" + (f"?{query}" if query else "")
        )
