"""Evidence of the incidents you may see: list, read, and download with its hash re-checked."""

import django_filters
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions as drf_permissions
from rest_framework import renderers, viewsets
from rest_framework.decorators import action

from .. import permissions, selectors, services
from ..choices import EvidenceKind
from ..models import Evidence
from . import serializers as s
from .incidents import _no_role_message
from .renderers import PassthroughRenderer


class EvidenceFilter(django_filters.FilterSet):
    incident = django_filters.NumberFilter(field_name="incident_id", label=_("Incident (id)"))
    kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices)

    class Meta:
        model = Evidence
        fields = ["incident", "kind"]


class EvidencePermission(drf_permissions.BasePermission):
    def has_permission(self, request, view):
        if not permissions.can_use_register(request.user):
            self.message = _no_role_message()
            return False
        return True


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Evidence of the incidents you may see. Write-once: never updated, never deleted here.

    Files are added at ``POST /incidents/{id}/evidence/``; downloading re-verifies the SHA-256
    and records the access in the chain of custody.
    """

    queryset = Evidence.objects.none()
    serializer_class = s.EvidenceSerializer
    permission_classes = [drf_permissions.IsAuthenticated, EvidencePermission]
    filterset_class = EvidenceFilter

    def get_queryset(self):
        visible = selectors.incidents_visible_to(self.request.user)
        return Evidence.objects.filter(incident__in=visible).select_related(
            "captured_by", "incident"
        )

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, in its own media type, after its SHA-256 was re-verified.",
            ),
            404: s.ErrorSerializer,
            409: OpenApiResponse(
                s.ErrorSerializer, description="The stored file no longer matches its SHA-256."
            ),
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[renderers.JSONRenderer, PassthroughRenderer],
    )
    def download(self, request, pk=None):
        """Download the file; its hash is re-checked and the access logged (chain of custody)."""
        evidence = self.get_object()
        handle = services.evidence_open(actor=request.user, evidence=evidence)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.media_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Evidence-SHA256"] = evidence.sha256
        response["Cache-Control"] = "private, no-store"
        return response
