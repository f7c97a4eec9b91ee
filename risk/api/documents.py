"""API of the register of documented information and of retention: documents (ETag /
If-Match on updates), their versions (drafts as text, one action per move: approve, mark
outdated), the retention rules (ETag / If-Match), legal holds on incidents (release is an
action) and the purge tombstones. Each rule is asked before the body is read; the service asks
again. Generating the procedure is a report run (``POST /api/v1/reports/`` is reporting's)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from aims.core.concurrency import check_version, etag_of
from incidents.api.serializers.errors import ErrorSerializer
from incidents.selectors import incidents_visible_to

from .. import permissions, selectors, services
from ..choices import DocumentKind
from ..models import Document, DocumentVersion, LegalHold, PurgeTombstone, RetentionRule
from .views import IF_MATCH, DecisionPermission

ERRORS = {400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer}


def _with_etag(data, record, code=status.HTTP_200_OK):
    return Response(data, status=code, headers={"ETag": etag_of(record)})


# --- serializers ----------------------------------------------------------------------------


class ProcessLinkSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200)
    url = serializers.CharField(max_length=500, allow_blank=True)


class ExclusionSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=300)
    justification = serializers.CharField(max_length=2000)


class DocumentVersionSerializer(serializers.ModelSerializer):
    exclusions = ExclusionSerializer(many=True, read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "id",
            "document",
            "number",
            "status",
            "summary",
            "body",
            "exclusions",
            "has_file",
            "original_name",
            "sha256",
            "size",
            "media_type",
            "config_fingerprint",
            "drafted_by",
            "approved_by",
            "approved_at",
            "superseded_at",
            "outdated_at",
            "outdated_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_file(self, version) -> bool:
        return bool(version.file)


class DocumentSerializer(serializers.ModelSerializer):
    process_links = ProcessLinkSerializer(many=True, read_only=True)
    approved_version = serializers.SerializerMethodField()
    outdated = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "reference",
            "kind",
            "title",
            "description",
            "owner",
            "review_interval_days",
            "next_review_date",
            "process_links",
            "approved_version",
            "outdated",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_approved_version(self, document):
        return getattr(document, "approved_number", None)

    @extend_schema_field(serializers.CharField())
    def get_outdated(self, document) -> str:
        """Why the approved version is outdated; empty when it is current."""
        reason = getattr(document, "outdated", None)
        if reason is None and hasattr(document, "approved_number"):
            reason = selectors.outdated_reason(document)
        return reason or ""


class DocumentWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    process_links = ProcessLinkSerializer(many=True, required=False)


class VersionWriteSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body = serializers.CharField(max_length=200000)
    exclusions = ExclusionSerializer(many=True, required=False)


class DocumentReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RetentionRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetentionRule
        fields = ["id", "record_type", "period_days", "legal_basis", "purge_enabled", "updated_at"]
        read_only_fields = fields


class RetentionRuleWriteSerializer(serializers.Serializer):
    period_days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    legal_basis = serializers.CharField(max_length=5000, required=False)
    purge_enabled = serializers.BooleanField(required=False)


class LegalHoldSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalHold
        fields = [
            "id",
            "incident",
            "reason",
            "placed_by",
            "placed_at",
            "released_by",
            "released_at",
            "release_reason",
        ]
        read_only_fields = fields


class LegalHoldWriteSerializer(serializers.Serializer):
    incident = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=2000)


class PurgeTombstoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = PurgeTombstone
        fields = [
            "id",
            "run",
            "record_model",
            "record_pk",
            "record_label",
            "incident",
            "rule",
            "rule_text",
            "sha256",
            "purged_at",
        ]
        read_only_fields = fields


# --- viewsets -------------------------------------------------------------------------------

DOCUMENT_FILTERS = [
    OpenApiParameter("kind", str, enum=DocumentKind.values),
    OpenApiParameter("status", str, enum=["approved", "draft", "none"]),
    OpenApiParameter("outdated", str, enum=["yes", "no"]),
    OpenApiParameter("review_due", str, enum=["yes"]),
]


class DocumentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The register of documented information. Versions are drafted under ``versions`` and
    approved through their own ``approve`` action; documents are never deleted."""

    queryset = Document.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = DocumentSerializer
    lookup_value_regex = r"\d+"
    pagination_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_rule = staticmethod(permissions.can_read_documents)
    rules_by_action = {
        "create": permissions.can_edit_documents,
        "partial_update": permissions.can_edit_documents,
        "versions.post": permissions.can_edit_documents,
    }

    def get_queryset(self):
        return selectors.documents_with_state().order_by("reference")

    @extend_schema(parameters=DOCUMENT_FILTERS)
    def list(self, request, *args, **kwargs):
        q = request.query_params
        allowed = {
            "kind": DocumentKind.values,
            "status": ["approved", "draft", "none"],
            "outdated": ["yes", "no"],
            "review_due": ["yes"],
        }
        filters = {k: q.get(k) for k in allowed if q.get(k) in allowed[k]}
        rows = selectors.document_list(**filters)
        return Response(DocumentSerializer(rows, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        document = self.get_object()
        return _with_etag(self.get_serializer(document).data, document)

    @extend_schema(request=DocumentWriteSerializer, responses={201: DocumentSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = DocumentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["process_links"] = [dict(i) for i in data.get("process_links", [])]
        data.setdefault("owner", request.user)
        document = services.document_create(actor=request.user, data=data)
        document = selectors.document_detail(document.pk)
        return _with_etag(DocumentSerializer(document).data, document, status.HTTP_201_CREATED)

    @extend_schema(
        request=DocumentWriteSerializer,
        responses={200: DocumentSerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        document = self.get_object()
        check_version(document, request.headers.get("If-Match"))
        body = DocumentWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("kind", None)
        if "process_links" in data:
            data["process_links"] = [dict(i) for i in data["process_links"]]
        services.document_update(actor=request.user, document=document, data=data)
        document = selectors.document_detail(document.pk)
        return _with_etag(DocumentSerializer(document).data, document)

    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        methods=["GET"], request=None, responses={200: DocumentVersionSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=VersionWriteSerializer,
        responses={201: DocumentVersionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def versions(self, request, pk=None):
        """The document's versions, latest first; ``POST`` drafts a new one (text)."""
        document = self.get_object()
        if request.method == "GET":
            return Response(
                DocumentVersionSerializer(selectors.versions_of(document), many=True).data
            )
        body = VersionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        version = services.version_draft(
            actor=request.user,
            document=document,
            body=data["body"],
            summary=data.get("summary", ""),
            exclusions=[dict(i) for i in data.get("exclusions", [])],
        )
        return Response(DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class DocumentVersionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One version of a document, and its moves: ``approve`` (the AI risk officer or GRC) and
    ``outdated`` (say why an approved version no longer describes what is done)."""

    queryset = DocumentVersion.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = DocumentVersionSerializer
    default_rule = staticmethod(permissions.can_read_documents)
    rules_by_action = {
        "approve": permissions.can_approve_document,
        "outdated": permissions.can_edit_documents,
    }

    def get_queryset(self):
        return DocumentVersion.objects.select_related("document")

    @extend_schema(request=None, responses={200: DocumentVersionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        version = services.version_approve(actor=request.user, version=self.get_object())
        return Response(DocumentVersionSerializer(version).data)

    @extend_schema(
        request=DocumentReasonSerializer, responses={200: DocumentVersionSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def outdated(self, request, pk=None):
        version = self.get_object()
        body = DocumentReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.version_mark_outdated(
            actor=request.user, version=version, reason=body.validated_data["reason"]
        )
        return Response(DocumentVersionSerializer(version).data)


class RetentionRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The retention schedule: a period and a legal basis per record type."""

    queryset = RetentionRule.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = RetentionRuleSerializer
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]
    default_rule = staticmethod(permissions.can_read_retention)
    rules_by_action = {"partial_update": permissions.can_edit_retention}

    def get_queryset(self):
        return selectors.retention_rules()

    def retrieve(self, request, *args, **kwargs):
        rule = self.get_object()
        return _with_etag(self.get_serializer(rule).data, rule)

    @extend_schema(
        request=RetentionRuleWriteSerializer,
        responses={200: RetentionRuleSerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        rule = self.get_object()
        check_version(rule, request.headers.get("If-Match"))
        body = RetentionRuleWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        rule = services.retention_rule_update(
            actor=request.user, rule=rule, data=dict(body.validated_data)
        )
        return _with_etag(RetentionRuleSerializer(rule).data, rule)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class LegalHoldViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Legal holds on incidents: while one stands, no record of the incident is purged. Placed
    and released (``release``) by GRC or legal, with a reason, on the incident's timeline."""

    queryset = LegalHold.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = LegalHoldSerializer
    default_rule = staticmethod(permissions.can_read_retention)
    rules_by_action = {"create": permissions.can_hold, "release": permissions.can_hold}

    def get_queryset(self):
        return LegalHold.objects.filter(
            incident__in=incidents_visible_to(self.request.user)
        ).order_by("-placed_at", "-id")

    @extend_schema(request=LegalHoldWriteSerializer, responses={201: LegalHoldSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        body = LegalHoldWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = (
            incidents_visible_to(request.user).filter(pk=body.validated_data["incident"]).first()
        )
        if incident is None:
            raise NotFound("No such incident, or you may not see it.")
        hold = services.legal_hold_place(
            actor=request.user, incident=incident, reason=body.validated_data["reason"]
        )
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DocumentReasonSerializer, responses={200: LegalHoldSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        hold = self.get_object()
        body = DocumentReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        hold = services.legal_hold_release(
            actor=request.user, hold=hold, reason=body.validated_data["reason"]
        )
        return Response(LegalHoldSerializer(hold).data)


class PurgeTombstoneViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """What the purge deleted: which record, when, under which rule, its SHA-256, which run."""

    queryset = PurgeTombstone.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    serializer_class = PurgeTombstoneSerializer
    default_rule = staticmethod(permissions.can_read_retention)
    rules_by_action = {}

    def get_queryset(self):
        return PurgeTombstone.objects.filter(
            incident__in=incidents_visible_to(self.request.user)
        ).order_by("-purged_at", "-id")
