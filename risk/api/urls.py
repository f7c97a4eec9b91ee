"""REST API of the risk module."""

from django.urls import path

from aims.core.api.routers import ApiRouter

from ..atlas import RiskAtlasTechniquesView
from . import documents, impact, trail, views

router = ApiRouter()
router.register("risks", views.RiskViewSet, basename="risk")
router.register("risk-methodologies", views.MethodologyViewSet, basename="risk-methodology")
router.register("risk-tags", views.RiskTagViewSet, basename="risk-tag")
router.register("controls", views.ControlViewSet, basename="control")
router.register("impact-assessments", impact.ImpactAssessmentViewSet, basename="impact-assessment")
router.register(
    "documented-information", documents.DocumentViewSet, basename="documented-information"
)
router.register("document-versions", documents.DocumentVersionViewSet, basename="document-version")
router.register("retention-rules", documents.RetentionRuleViewSet, basename="retention-rule")
router.register("legal-holds", documents.LegalHoldViewSet, basename="legal-hold")
router.register("purge-tombstones", documents.PurgeTombstoneViewSet, basename="purge-tombstone")

urlpatterns = [
    path("evidence-map/", views.EvidenceMapView.as_view(), name="evidence-map"),
    path(
        "risks/<int:pk>/atlas-techniques/",
        RiskAtlasTechniquesView.as_view(),
        name="risk-atlas-techniques",
    ),
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
    path(
        "incidents/<int:pk>/risk-review/",
        impact.IncidentRiskReviewView.as_view(),
        name="incident-risk-review",
    ),
    path("systems/<int:pk>/trail/", trail.SystemTrailView.as_view(), name="system-trail"),
    path("consistency/", trail.ConsistencyView.as_view(), name="consistency"),
    *router.urls,
]
