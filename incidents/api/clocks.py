"""``GET /api/v1/incidents/{id}/clocks/``: the incident's clocks, running and ended."""

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from aims.clocks.api.serializers import ClockSerializer
from aims.clocks.services import clocks_of

from ..selectors import incidents_visible_to


class IncidentClocksView(APIView):
    @extend_schema(
        summary="The incident's clocks: start, due, owner, state, time left or overdue.",
        responses=ClockSerializer(many=True),
    )
    def get(self, request, pk: int):
        incident = incidents_visible_to(request.user).filter(pk=pk).first()
        if incident is None:
            raise NotFound("No such incident, or you may not see it.")
        clocks = clocks_of(incident).select_related("target_type")
        return Response(ClockSerializer(clocks, many=True).data)
