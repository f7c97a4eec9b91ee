from rest_framework import viewsets

from ..models import Evidence, Incident


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Incident.objects.none()


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Evidence.objects.none()
