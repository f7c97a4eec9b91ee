"""Inventory API. Viewsets validate input and call ``inventory.services``; nothing else writes."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions as drf_permissions
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from aims.core.api.fields import as_id
from aims.core.concurrency import etag_of
from aims.core.instants import parse_instant

from .. import permissions, selectors, services
from ..filters import AISystemFilter, DeploymentFilter, ModelVersionFilter, MonitoringRuleFilter
from ..models import AISystem
from ..services import registry, wandb
from . import serializers as s


class InventoryPermission(drf_permissions.BasePermission):
    """Reads for every role; writes as ``inventory.permissions`` says (services check again)."""

    message = _("You do not have permission to change the AI system inventory this way.")

    def _answer(self, decision) -> bool:
        """A rule's Decision: its refusal sentence becomes the answer's message."""
        if not decision:
            self.message = getattr(decision, "message", "") or self.message
        return bool(decision)

    def has_permission(self, request, view):
        if not self._answer(permissions.can_view_inventory(request.user)):
            return False
        if request.method in drf_permissions.SAFE_METHODS or view.action != "create":
            return True
        return self._answer(view.can_create(request))

    def has_object_permission(self, request, view, obj):
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        return self._answer(view.can_change(request.user, obj))


class InventoryViewSet(viewsets.ModelViewSet):
    permission_classes = [drf_permissions.IsAuthenticated, InventoryPermission]
    filter_backends = [DjangoFilterBackend]
    update_serializer_class = None

    def get_serializer_class(self):
        if self.action in ("update", "partial_update") and self.update_serializer_class:
            return self.update_serializer_class
        return self.serializer_class

    def system_from_body(self, request):
        """The system named in a create request, when it exists and is visible; else None."""
        pk = as_id(request.data.get("system")) if isinstance(request.data, dict) else None
        if pk is None:
            return None
        return selectors.systems_visible_to(request.user).filter(pk=pk).first()

    # What the refusal says a system's owners do, per action (the services' own words).
    record_what: dict = {}

    def can_create(self, request):
        system = self.system_from_body(request)
        if system is None:
            return True  # the serializer answers for a system that is missing or not visible
        return permissions.can_record_for_system(
            request.user, system, what=self.record_what.get("create")
        )

    def can_change(self, user, obj):
        if self.action == "destroy":
            return permissions.can_manage_inventory(user)
        return permissions.can_record_for_system(
            user, obj.system, what=self.record_what.get("update")
        )


class AISystemViewSet(InventoryViewSet):
    """AI systems. Owners edit their systems; GRC and the risk officer manage all of them.

    Updates honour ``If-Match`` with the ETag of the last read: a stale one answers 412.
    """

    serializer_class = s.AISystemSerializer
    filterset_class = AISystemFilter

    def get_queryset(self):
        return selectors.systems_visible_to(self.request.user)

    def can_create(self, request):
        return permissions.can_create_system(request.user)

    def can_change(self, user, obj):
        if self.action == "destroy":
            return permissions.can_delete_system(user, obj)
        if self.action == "registry_sync":
            return permissions.can_sync_registry(user, obj)
        if self.action == "wandb_manifest":
            return permissions.can_import_wandb_manifest(user, obj)
        return permissions.can_change_system(user, obj)

    def retrieve(self, request, *args, **kwargs):
        system = self.get_object()
        return Response(self.get_serializer(system).data, headers={"ETag": etag_of(system)})

    def perform_create(self, serializer):
        serializer.instance = services.system_create(
            actor=self.request.user, data=serializer.validated_data
        )

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_of(self.updated)
        return response

    def perform_update(self, serializer):
        self.updated = services.system_update(
            actor=self.request.user,
            system=serializer.instance,
            data=serializer.validated_data,
            expected_version=self.request.headers.get("If-Match"),
        )
        serializer.instance = self.updated

    def perform_destroy(self, instance):
        services.system_delete(actor=self.request.user, system=instance)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                required=True,
                description="The instant, ISO 8601 with a timezone.",
            )
        ],
        responses={200: s.VersionAtSerializer},
    )
    @action(detail=True, methods=["get"], url_path="version-at")
    def version_at(self, request, pk=None):
        """The model version that was in production at ``at``, from the change log."""
        system: AISystem = self.get_object()
        try:
            at = parse_instant(request.query_params.get("at", ""))
        except DjangoValidationError as exc:
            raise ValidationError({"at": exc.messages}) from exc
        deployment = selectors.deployment_in_production_at(system, at)
        if deployment is None:
            raise NotFound(
                _("%(system)s had no model version in production at %(at)s.")
                % {"system": system.reference, "at": at.isoformat()}
            )
        data = {
            "system": system.reference,
            "at": at,
            "model_version": deployment.model_version,
            "deployment": deployment,
        }
        return Response(s.VersionAtSerializer(data, context={"request": request}).data)

    @extend_schema(
        methods=["GET"],
        filters=False,
        request=None,
        responses={200: s.RegistrySyncSerializer(many=True)},
    )
    @extend_schema(methods=["POST"], request=None, responses={202: s.RegistrySyncSerializer})
    @action(detail=True, methods=["get", "post"], url_path="registry-sync")
    def registry_sync(self, request, pk=None):
        """GET: the system's registry sync log, newest first (paginated). POST: sync with the
        linked MLflow registry now — answered 202 with the queued sync; a worker runs it."""
        system: AISystem = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.registry_syncs(system))
            return self.get_paginated_response(s.RegistrySyncSerializer(page, many=True).data)
        sync = registry.registry_sync_request(actor=request.user, system=system)
        return Response(s.RegistrySyncSerializer(sync).data, status=202)

    @extend_schema(
        request={
            "application/json": s.WandbManifestImportSerializer,
            "multipart/form-data": s.WandbManifestImportSerializer,
        },
        responses={200: s.WandbManifestResultSerializer, 201: s.WandbManifestResultSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="wandb-manifest",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def wandb_manifest(self, request, pk=None):
        """Record (or update) the model version a W&B artifact manifest describes: 201 when
        new, 200 when the artifact was imported before."""
        system: AISystem = self.get_object()
        body = s.WandbManifestImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        manifest = data["manifest_file"].read() if "manifest_file" in data else data["manifest"]
        version, created = wandb.wandb_manifest_import(
            actor=request.user,
            system=system,
            reference=data["artifact"],
            digest=data["digest"],
            manifest=manifest,
        )
        answer = {"created": created, "model_version": version}
        return Response(
            s.WandbManifestResultSerializer(answer).data, status=201 if created else 200
        )


class ModelVersionViewSet(InventoryViewSet):
    serializer_class = s.ModelVersionSerializer
    update_serializer_class = s.ModelVersionUpdateSerializer
    filterset_class = ModelVersionFilter

    def get_queryset(self):
        return selectors.model_versions_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        system = data.pop("system")
        serializer.instance = services.model_version_create(
            actor=self.request.user, system=system, data=data
        )

    def perform_update(self, serializer):
        serializer.instance = services.model_version_update(
            actor=self.request.user, version=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        raise ValidationError(_("Model versions are part of the change log and are not deleted."))

    @extend_schema(request=None, responses={200: s.ModelVersionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Record approval of this version for release (GRC or the AI risk officer)."""
        version = services.model_version_approve(actor=request.user, version=self.get_object())
        return Response(s.ModelVersionSerializer(version).data)

    record_what = {"create": _("add model versions"), "update": _("edit model versions")}

    def can_change(self, user, obj):
        if self.action == "approve":
            return permissions.can_approve_model_version(user, obj)
        return super().can_change(user, obj)


class DeploymentViewSet(InventoryViewSet):
    """The model change log. Owners record entries; corrections (PUT/PATCH) need a reason."""

    serializer_class = s.DeploymentSerializer
    update_serializer_class = s.DeploymentCorrectionSerializer
    filterset_class = DeploymentFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    record_what = {"create": _("record deployments")}

    def get_queryset(self):
        return selectors.deployments_visible_to(self.request.user)

    def can_change(self, user, obj):
        return permissions.can_correct_change_log(user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        system = data.pop("system")
        serializer.instance = services.deployment_record(
            actor=self.request.user, system=system, data=data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        serializer.instance = services.deployment_correct(
            actor=self.request.user, deployment=serializer.instance, data=data, reason=reason
        )


class MonitoringRuleViewSet(InventoryViewSet):
    serializer_class = s.MonitoringRuleSerializer
    update_serializer_class = s.MonitoringRuleUpdateSerializer
    filterset_class = MonitoringRuleFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    record_what = {"create": _("add monitoring rules"), "update": _("change monitoring rules")}

    def get_queryset(self):
        return selectors.monitoring_rules_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        system = data.pop("system")
        serializer.instance = services.monitoring_rule_create(
            actor=self.request.user, system=system, data=data
        )

    def perform_update(self, serializer):
        serializer.instance = services.monitoring_rule_update(
            actor=self.request.user, rule=serializer.instance, data=serializer.validated_data
        )
