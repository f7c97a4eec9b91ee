"""The post-incident review API: the list (status and overdue filters), one review with its
computed or frozen timeline and documentation check, the lessons (``If-Match``), the moves
(submit, return, approve: the AI risk officer only) and the CAPAs raised from it. Reading
follows the incident; every write is one service call, whose rule is asked first here."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from aims.core.api.fields import as_id
from aims.core.api.pagination import StandardPagination
from aims.core.concurrency import etag_of

from .. import permissions, selectors, services
from ..choices import ReviewStatus
from ..models import PostIncidentReview
from .actions import ERRORS, IF_MATCH
from .serializers import actions as capa_s
from .serializers import post_incident as s

OBJECT_RULES = {
    "update": permissions.can_edit_review,
    "partial_update": permissions.can_edit_review,
    "submit": permissions.can_submit_review,
    "return_for_changes": permissions.can_approve_review,
    "approve": permissions.can_approve_review,
}


class ReviewPermission(drf_permissions.BasePermission):
    def has_permission(self, request, view):
        decision = permissions.can_read(request.user)
        self.message = decision.message
        return bool(decision)

    def has_object_permission(self, request, view, obj):
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        rule = OBJECT_RULES.get(view.action)
        if rule is None and view.action == "capas":
            rule = permissions.can_raise_review_capa
        if rule is None:
            return True
        decision = rule(request.user, obj)
        self.message = decision.message
        return bool(decision)


STATUS_PARAM = OpenApiParameter(
    "status", OpenApiTypes.STR, enum=ReviewStatus.values, description="Only reviews in this status"
)
OVERDUE_PARAM = OpenApiParameter(
    "overdue", OpenApiTypes.BOOL, description="true: only overdue reviews; false: only others"
)
INCIDENT_PARAM = OpenApiParameter("incident", OpenApiTypes.INT, description="The incident's id")


class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Post-incident reviews: opened when an incident closes (never created here), due 10
    business days later, approved by the AI risk officer."""

    queryset = PostIncidentReview.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, ReviewPermission]
    pagination_class = StandardPagination
    serializer_class = s.ReviewSerializer

    def get_queryset(self):
        params = self.request.query_params
        status_ = params.get("status", "")
        overdue = {"true": True, "false": False}.get(params.get("overdue", "").lower())
        qs = selectors.review_list(
            self.request.user,
            status=status_ if status_ in ReviewStatus.values else "",
            overdue=overdue,
        )
        incident = as_id(params.get("incident"))
        if incident is not None:
            qs = qs.filter(incident_id=incident)
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return s.ReviewListSerializer
        if self.action in ("update", "partial_update"):
            return s.ReviewUpdateSerializer
        return s.ReviewSerializer

    def get_object(self):
        pk = as_id(self.kwargs["pk"])
        review = selectors.review_page(self.request.user, pk) if pk is not None else None
        if review is None:
            raise Http404
        self.check_object_permissions(self.request, review)
        return review

    def _detail(self, review, *, status_code=status.HTTP_200_OK):
        fresh = selectors.review_page(self.request.user, review.pk) or review
        data = s.ReviewSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers={"ETag": etag_of(fresh)})

    @extend_schema(parameters=[STATUS_PARAM, OVERDUE_PARAM, INCIDENT_PARAM])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        review = self.get_object()
        data = s.ReviewSerializer(review, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_of(review)})

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ReviewUpdateSerializer,
        responses={200: s.ReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        """Write the lessons while the review is a draft or returned for changes."""
        review = self.get_object()
        body = s.ReviewUpdateSerializer(data=request.data, partial=kwargs.pop("partial", False))
        body.is_valid(raise_exception=True)
        review = services.review_update(
            actor=request.user,
            review=review,
            data=dict(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(review)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ReviewUpdateSerializer,
        responses={200: s.ReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    @extend_schema(
        parameters=[IF_MATCH],
        request=None,
        responses={200: s.ReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for approval: the timeline and documentation check are frozen."""
        review = services.review_submit(
            actor=request.user,
            review=self.get_object(),
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(review)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ReviewCommentSerializer,
        responses={200: s.ReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_changes(self, request, pk=None):
        """Return the submitted review for changes (the AI risk officer), saying what."""
        review = self.get_object()
        body = s.ReviewCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.review_return(
            actor=request.user,
            review=review,
            comment=body.validated_data["comment"],
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(review)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ReviewCommentSerializer,
        responses={200: s.ReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the submitted review (the AI risk officer), with a comment."""
        review = self.get_object()
        body = s.ReviewCommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.review_approve(
            actor=request.user,
            review=review,
            comment=body.validated_data["comment"],
            expected_version=request.headers.get("If-Match"),
        )
        return self._detail(review)

    @extend_schema(
        methods=["GET"], request=None, responses={200: s.ReviewActionSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=s.ReviewCapaSerializer,
        responses={201: s.ReviewActionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def capas(self, request, pk=None):
        """The process and policy updates raised from the review, each a CAPA; POST raises one."""
        review = self.get_object()
        if request.method == "GET":
            return Response(s.ReviewActionSerializer(review.actions.all(), many=True).data)
        body = s.ReviewCapaSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        update_kind = data.pop("update_kind")
        created = services.review_raise_capa(
            actor=request.user, review=review, update_kind=update_kind, data=data
        )
        return Response(s.ReviewActionSerializer(created).data, status=status.HTTP_201_CREATED)
