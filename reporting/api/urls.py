from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("report-runs", views.ReportRunViewSet, basename="report-run")

urlpatterns = [
    path("documents/verify/", views.DocumentVerifyView.as_view(), name="document-verify"),
    path("", include("reporting.api.exports")),
    path("", include("reporting.api.samples")),
    path("", include("reporting.api.review")),
    *router.urls,
]
