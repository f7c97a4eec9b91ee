"""Impact-assessment API: the assessments (ETag / If-Match on updates; one action per move:
submit, approve, return) and the incident's risk-register review decision. Each rule is asked
before the body is read; the service asks again."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.core.api.fields import as_id
from aims.core.api.pagination import RegisterPagination
from incidents.api.serializers.errors import ErrorSerializer
from inventory.models import AISystem, Deployment

from .. import impact_selectors as selectors
from .. import permissions, services
from ..choices import ImpactResult, ImpactStatus, ImpactTrigger
from ..models import ImpactAssessment, IncidentRiskReview
from .views import ERRORS, IF_MATCH, DecisionPermission, _with_etag

# --- serializers --------------------------------------------------------------------------------


class ImpactAssessmentSerializer(serializers.ModelSerializer):
    system_reference = serializers.CharField(source="system.reference", read_only=True)
    author_name = serializers.CharField(source="author.get_username", read_only=True)
    approved_by_name = serializers.SerializerMethodField()
    incident_reference = serializers.SerializerMethodField()
    review_due = serializers.SerializerMethodField()

    class Meta:
        model = ImpactAssessment
        fields = [
            "id",
            "reference",
            "system",
            "system_reference",
            "version",
            "trigger",
            "deployment",
            "incident",
            "incident_reference",
            "intended_use",
            "foreseeable_misuse",
            "affected_groups",
            "societal_impact",
            "jurisdictions",
            "result",
            "conditions",
            "next_due_date",
            "status",
            "author",
            "author_name",
            "submitted_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "approval_comment",
            "supersedes",
            "review_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_approved_by_name(self, obj) -> str | None:
        return obj.approved_by.get_username() if obj.approved_by_id else None

    def get_incident_reference(self, obj) -> str | None:
        return obj.incident.reference if obj.incident_id else None

    def get_review_due(self, obj) -> bool:
        """The system's assessment is due for review (a retrain, vendor update or prompt change
        deployed, or a P0/P1 incident, since the last approval)."""
        return bool(getattr(obj, "review_due", False))


class ImpactAssessmentWriteSerializer(serializers.Serializer):
    system = serializers.PrimaryKeyRelatedField(queryset=AISystem.objects.all())
    trigger = serializers.ChoiceField(choices=ImpactTrigger.choices, required=False)
    deployment = serializers.PrimaryKeyRelatedField(
        queryset=Deployment.objects.all(), required=False, allow_null=True
    )
    incident = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    intended_use = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    foreseeable_misuse = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    affected_groups = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    societal_impact = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    jurisdictions = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=50
    )
    result = serializers.ChoiceField(choices=ImpactResult.choices, required=False, allow_blank=True)
    conditions = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    next_due_date = serializers.DateField(required=False, allow_null=True)


class ImpactAssessmentUpdateSerializer(ImpactAssessmentWriteSerializer):
    system = None  # the system of an assessment never changes (a new one is drafted instead)


class ImpactApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000)


class ImpactReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class IncidentRiskReviewSerializer(serializers.ModelSerializer):
    decided_by = serializers.StringRelatedField()

    class Meta:
        model = IncidentRiskReview
        fields = ["outcome", "reason", "decided_by", "decided_at"]
        read_only_fields = ["decided_by", "decided_at"]
        extra_kwargs = {"reason": {"max_length": 5000}}


# --- views --------------------------------------------------------------------------------------

FILTERS = [
    OpenApiParameter("system", int, description="Only this AI system's assessments."),
    OpenApiParameter(
        "status",
        str,
        enum=ImpactStatus.values,
        description="Only this status (superseded versions are listed only when asked for).",
    ),
    OpenApiParameter(
        "due",
        str,
        enum=["review", "overdue", "soon"],
        description="review: flagged due for review; overdue: past the next due date; soon: due "
        "within 30 days.",
    ),
]


def _visible_incident(user, pk):
    from incidents.selectors import incidents_visible_to

    found = as_id(pk)
    incident = incidents_visible_to(user).filter(pk=found).first() if found else None
    if incident is None:
        raise NotFound(_("No such incident, or you may not see it."))
    return incident


class ImpactAssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """AI system impact assessments (ISO/IEC 42001 6.1.4, A.5). Status moves only through
    ``submit``, ``approve`` (the AI risk officer who is not the author, with a comment) and
    ``send_back``; assessments are never deleted, a new version supersedes the approved one."""

    queryset = ImpactAssessment.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    pagination_class = RegisterPagination
    serializer_class = ImpactAssessmentSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    default_rule = staticmethod(permissions.can_read_impact)
    rules_by_action = {
        "create": permissions.can_edit_impact,
        "partial_update": permissions.can_edit_impact,
        # Moves: every reader may ask, the lifecycle decides (and refuses the author).
        "submit": permissions.can_read_impact,
        "approve": permissions.can_read_impact,
        "send_back": permissions.can_read_impact,
    }

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            params = self.request.query_params
            system = as_id(params.get("system")) if params.get("system") else None
            status_ = params.get("status") if params.get("status") in ImpactStatus.values else None
            due = params.get("due") if params.get("due") in ("review", "overdue", "soon") else None
            if params.get("system") and system is None:
                return ImpactAssessment.objects.none()
            return selectors.assessment_list(user, system=system, status=status_, due=due)
        return selectors.with_review_due(selectors.assessments_visible_to(user)).order_by("id")

    def _detail(self, assessment, code=status.HTTP_200_OK):
        fresh = selectors.assessment_detail(self.request.user, assessment.pk) or assessment
        return _with_etag(ImpactAssessmentSerializer(fresh).data, fresh, code)

    @extend_schema(parameters=FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        assessment = self.get_object()
        return _with_etag(self.get_serializer(assessment).data, assessment)

    def _links(self, data):
        data = dict(data)
        if "incident" in data:
            data["incident"] = (
                _visible_incident(self.request.user, data["incident"]) if data["incident"] else None
            )
        return data

    @extend_schema(
        request=ImpactAssessmentWriteSerializer,
        responses={201: ImpactAssessmentSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        body = ImpactAssessmentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = self._links(body.validated_data)
        system = data.pop("system")
        from inventory.selectors import systems_visible_to

        if not systems_visible_to(request.user).filter(pk=system.pk).exists():
            raise NotFound(_("No such AI system, or you may not see it."))
        assessment = services.impact_create(actor=request.user, system=system, data=data)
        return self._detail(assessment, status.HTTP_201_CREATED)

    @extend_schema(
        request=ImpactAssessmentUpdateSerializer,
        responses={200: ImpactAssessmentSerializer, 412: ErrorSerializer, **ERRORS},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, *args, **kwargs):
        assessment = self.get_object()
        body = ImpactAssessmentUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        assessment = services.impact_update(
            actor=request.user,
            assessment=assessment,
            data=self._links(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(assessment)

    def update(self, request, *args, **kwargs):  # PUT is not offered (http_method_names)
        return self.partial_update(request, *args, **kwargs)

    def _move(self, to, reason=""):
        assessment = services.impact_transition(
            actor=self.request.user, assessment=self.get_object(), to=to, reason=reason
        )
        return self._detail(assessment)

    @extend_schema(request=None, responses={200: ImpactAssessmentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the draft for approval; a missing part answers 409 naming it."""
        return self._move(ImpactStatus.SUBMITTED)

    @extend_schema(
        request=ImpactApproveSerializer, responses={200: ImpactAssessmentSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the submitted assessment, with a comment (not by its author). It supersedes
        the system's previous approved one and clears the due-for-review flag."""
        body = ImpactApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._move(ImpactStatus.APPROVED, body.validated_data["comment"])

    @extend_schema(
        request=ImpactReturnSerializer, responses={200: ImpactAssessmentSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        """Return the submitted assessment to its author as a draft, saying what to change."""
        body = ImpactReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._move(ImpactStatus.DRAFT, body.validated_data["reason"])


class IncidentRiskReviewView(APIView):
    """The recorded review of the risk register for an incident (a closure check)."""

    permission_classes = [drf_permissions.IsAuthenticated, DecisionPermission]
    default_rule = staticmethod(permissions.can_read_register)
    rules_by_action = {}

    @extend_schema(
        request=IncidentRiskReviewSerializer,
        responses={201: IncidentRiskReviewSerializer, **ERRORS},
    )
    def post(self, request, pk):
        """Record it: ``changed`` (a risk is linked to the incident) or ``no_change`` with the
        reason (GRC, the AI risk officer or the incident lead)."""
        incident = _visible_incident(request.user, pk)
        decision = permissions.can_review_incident_risks(request.user, incident)
        if not decision:
            self.permission_denied(request, message=decision.message)
        body = IncidentRiskReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.incident_risk_review_record(
            actor=request.user,
            incident=incident,
            outcome=body.validated_data["outcome"],
            reason=body.validated_data.get("reason", ""),
        )
        return Response(IncidentRiskReviewSerializer(review).data, status=status.HTTP_201_CREATED)
