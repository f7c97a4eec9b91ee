from django.urls import path

from aims.core.api.routers import ApiRouter

from . import risk, views

router = ApiRouter()
router.register("report-runs", views.ReportRunViewSet, basename="report-run")
router.register("audit-samples", views.AuditSampleViewSet, basename="audit-sample")

urlpatterns = [
    path("documents/verify/", views.DocumentVerifyView.as_view(), name="document-verify"),
    path(
        "incidents/<int:pk>/case-file.pdf",
        views.CaseFileView.as_view(),
        name="incident-case-file",
    ),
    path(
        "communications/<int:pk>/draft.pdf",
        views.DisclosureDraftPdfView.as_view(),
        name="communication-draft-pdf",
    ),
    path("register-exports/", views.RegisterExportView.as_view(), name="register-export"),
    path(
        "register-exports/csv/",
        views.RegisterCSVStreamView.as_view(),
        name="register-export-csv",
    ),
    path("review-metrics/", views.ReviewMetricsView.as_view(), name="review-metrics"),
    path("review-packs/", views.ReviewPackView.as_view(), name="review-packs"),
    path("risk-exports/", risk.RiskRegisterExportView.as_view(), name="risk-register-export"),
    path("soa-pdf/", risk.SoaPdfView.as_view(), name="soa-pdf"),
    path("systems/<int:pk>/trail-pdf/", risk.SystemTrailPdfView.as_view(), name="system-trail-pdf"),
    *router.urls,
]
