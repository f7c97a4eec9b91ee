"""``GET /api/v1/me/work/``: every clock the signed-in person owns, soonest first."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from ..models import Clock
from ..selectors import clocks_owned_by
from .serializers import ClockSerializer


@extend_schema(summary="My work: the clocks I own, soonest first (overdue ones first of all).")
class MyWorkView(ListAPIView):
    serializer_class = ClockSerializer
    queryset = Clock.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return clocks_owned_by(self.request.user)
