from django.urls import path

from aims.core.api.routers import ApiRouter

from . import alerts, atlas, clocks, detection, evidence, incidents, paging

router = ApiRouter()
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("evidence", evidence.EvidenceViewSet, basename="evidence")
router.register("alert-links", detection.AlertLinkViewSet, basename="alert-link")

urlpatterns = [
    path(
        "alerts/alertmanager/", alerts.AlertmanagerIntakeView.as_view(), name="alerts-alertmanager"
    ),
    path("alerts/generic/", alerts.GenericIntakeView.as_view(), name="alerts-generic"),
    path(
        "alerts/alibi-detect/", alerts.AlibiDetectIntakeView.as_view(), name="alerts-alibi-detect"
    ),
    path("alerts/evidently/", alerts.EvidentlyIntakeView.as_view(), name="alerts-evidently"),
    path("paging/pagerduty/", paging.PagerDutyWebhookView.as_view(), name="paging-pagerduty"),
    path("atlas/", atlas.AtlasCatalogueView.as_view(), name="atlas-catalogue"),
    path("incidents/<int:pk>/clocks/", clocks.IncidentClocksView.as_view(), name="incident-clocks"),
    path(
        "incidents/<int:pk>/threshold-changes/",
        detection.IncidentThresholdChangesView.as_view(),
        name="incident-threshold-changes",
    ),
    *router.urls,
]
