"""REST API of the risk module."""

from django.urls import path

from aims.core.api.routers import ApiRouter

from . import documents, views

router = ApiRouter()
router.register("risks", views.RiskViewSet, basename="risk")
router.register("risk-methodologies", views.MethodologyViewSet, basename="risk-methodology")
router.register("risk-tags", views.RiskTagViewSet, basename="risk-tag")
router.register("controls", views.ControlViewSet, basename="control")
router.register(
    "documented-information", documents.DocumentViewSet, basename="documented-information"
)
router.register("document-versions", documents.DocumentVersionViewSet, basename="document-version")
router.register("retention-rules", documents.RetentionRuleViewSet, basename="retention-rule")
router.register("legal-holds", documents.LegalHoldViewSet, basename="legal-hold")
router.register("purge-tombstones", documents.PurgeTombstoneViewSet, basename="purge-tombstone")

urlpatterns = [
    path("evidence-map/", views.EvidenceMapView.as_view(), name="evidence-map"),
    path("incidents/<int:pk>/risks/", views.IncidentRisksView.as_view(), name="incident-risks"),
    path(
        "incidents/<int:pk>/risks/materialised/",
        views.IncidentRiskMaterialisedView.as_view(),
        name="incident-risk-materialised",
    ),
    path(
        "incidents/<int:pk>/risks/rerate/",
        views.IncidentRiskRerateView.as_view(),
        name="incident-risk-rerate",
    ),
    path(
        "incidents/<int:pk>/risks/raise/",
        views.IncidentRiskRaiseView.as_view(),
        name="incident-risk-raise",
    ),
    *router.urls,
]
