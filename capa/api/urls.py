"""REST API of the learning loop."""

from django.urls import path

from aims.core.api.routers import ApiRouter

from . import views

router = ApiRouter()
router.register("capas", views.CapaViewSet, basename="capa")
router.register("findings", views.FindingViewSet, basename="finding")

urlpatterns = [
    path(
        "capa-evidence/<int:pk>/download/",
        views.CapaEvidenceDownloadView.as_view(),
        name="capa-evidence-download",
    ),
    path("capa-suggestions/", views.SuggestionsView.as_view(), name="capa-suggestions"),
    path("incidents/<int:pk>/capas/", views.IncidentCapasView.as_view(), name="incident-capas"),
    path(
        "incidents/<int:pk>/no-capa-decision/",
        views.NoCapaDecisionView.as_view(),
        name="incident-no-capa",
    ),
    *router.urls,
]
