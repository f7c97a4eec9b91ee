"""The management-review API (ISO/IEC 42001 clause 9.3): the reviews with their compiled
inputs, one ``@action`` per move, and the review's actions raised as CAPAs. Every write is one
service call; each permission is the rule in ``capa.permissions``, asked before the body is
read and again by the service."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from aims.core.api.pagination import StandardPagination
from aims.core.concurrency import etag_of

from .. import permissions, selectors, services
from ..models import ManagementReview, ManagementReviewAction, ManagementReviewAttendee
from .actions import ERRORS, IF_MATCH
from .serializers import actions as capa_s
from .serializers import management_review as s


class ReviewPermission(drf_permissions.BasePermission):
    def has_permission(self, request, view):
        decision = permissions.can_read_reviews(request.user)
        if decision and request.method not in drf_permissions.SAFE_METHODS:
            decision = permissions.can_manage_review(request.user)
        self.message = decision.message
        return bool(decision)


class ManagementReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Management reviews: the meeting, its period, attendees, minutes and decisions, the inputs
    compiled from the data (frozen when recorded) and its actions. Status moves through
    ``transition``; actions are raised through ``actions``."""

    queryset = ManagementReview.objects.none()
    permission_classes = [drf_permissions.IsAuthenticated, ReviewPermission]
    pagination_class = StandardPagination
    serializer_class = s.ManagementReviewSerializer

    def get_queryset(self):
        from django.db.models import Prefetch

        return (
            selectors.management_reviews_visible_to(self.request.user)
            .select_related("created_by", "recorded_by", "approved_by")
            .prefetch_related(
                Prefetch(
                    "attendance", queryset=ManagementReviewAttendee.objects.select_related("user")
                ),
                Prefetch("actions", queryset=ManagementReviewAction.objects.select_related("capa")),
            )
            .order_by("-meeting_date", "-id")
        )

    def get_serializer_class(self):
        if self.action == "list":
            return s.ManagementReviewListSerializer
        if self.action in ("create", "update", "partial_update"):
            return s.ManagementReviewWriteSerializer
        return s.ManagementReviewSerializer

    def _answer(self, review, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=review.pk)
        return Response(
            s.ManagementReviewSerializer(fresh).data,
            status=status_code,
            headers={"ETag": etag_of(fresh)},
        )

    def retrieve(self, request, *args, **kwargs):
        review = self.get_object()
        return Response(
            s.ManagementReviewSerializer(review).data, headers={"ETag": etag_of(review)}
        )

    @extend_schema(
        request=s.ManagementReviewWriteSerializer,
        responses={201: s.ManagementReviewSerializer, **ERRORS},
    )
    def create(self, request, *args, **kwargs):
        body = s.ManagementReviewWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.management_review_create(
            actor=request.user, data=dict(body.validated_data)
        )
        return self._answer(review, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ManagementReviewWriteSerializer,
        responses={200: s.ManagementReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        review = self.get_object()
        body = s.ManagementReviewWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        review = services.management_review_update(
            actor=request.user,
            review=review,
            data=dict(body.validated_data),
            expected_version=request.headers.get("If-Match"),
        )
        return self._answer(review)

    @extend_schema(
        parameters=[IF_MATCH],
        request=s.ManagementReviewWriteSerializer,
        responses={200: s.ManagementReviewSerializer, 412: capa_s.ErrorSerializer, **ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        request=s.ManagementReviewTransitionSerializer,
        responses={200: s.ManagementReviewSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Record the review as held (its inputs frozen, the P0/P1 incidents it covered
        stamped) or approve it."""
        review = self.get_object()
        body = s.ManagementReviewTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.management_review_transition(
            actor=request.user,
            review=review,
            to=body.validated_data["to"],
            reason=body.validated_data["reason"],
        )
        return self._answer(review)

    @extend_schema(
        request=s.ReviewActionSerializer, responses={201: capa_s.CapaSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        """Raise an action the review decided: a CAPA with source "management review"."""
        review = self.get_object()
        body = s.ReviewActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        capa = services.management_review_action_add(
            actor=request.user, review=review, data=dict(body.validated_data)
        )
        fresh = selectors.capa_page(request.user, capa.pk)
        return Response(capa_s.CapaSerializer(fresh).data, status=status.HTTP_201_CREATED)
