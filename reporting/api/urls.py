from django.urls import include, path

from aims.core.api.routers import ApiRouter

from . import casefile, views

router = ApiRouter()
router.register("report-runs", views.ReportRunViewSet, basename="report-run")

urlpatterns = [
    path("documents/verify/", views.DocumentVerifyView.as_view(), name="document-verify"),
    path(
        "incidents/<int:pk>/case-file.pdf",
        casefile.CaseFileView.as_view(),
        name="incident-case-file",
    ),
    path("", include("reporting.api.exports")),
    path("", include("reporting.api.samples")),
    path("", include("reporting.api.review")),
    *router.urls,
]
