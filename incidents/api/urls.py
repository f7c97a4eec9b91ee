from django.urls import path
from rest_framework.routers import DefaultRouter

from . import alerts, clocks, evidence, incidents

router = DefaultRouter()
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("evidence", evidence.EvidenceViewSet, basename="evidence")

urlpatterns = [
    path(
        "alerts/alertmanager/", alerts.AlertmanagerIntakeView.as_view(), name="alerts-alertmanager"
    ),
    path("alerts/generic/", alerts.GenericIntakeView.as_view(), name="alerts-generic"),
    path("incidents/<int:pk>/clocks/", clocks.IncidentClocksView.as_view(), name="incident-clocks"),
    *router.urls,
]
