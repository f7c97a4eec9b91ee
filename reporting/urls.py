"""HTML routes of reporting, mounted at ``/reports/``."""

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.reports_home, name="reports"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/download/", views.run_download, name="run-download"),
    path("incidents/<int:pk>/case-file.pdf", views.case_file, name="incident-case-file"),
    path(
        "communications/<int:pk>/draft.pdf",
        views.disclosure_draft_pdf,
        name="disclosure-draft-pdf",
    ),
    path("systems/<int:pk>/trail.pdf", views.system_trail_pdf, name="system-trail-pdf"),
    path("exports/new/", views.export_new, name="export-new"),
    path("exports/risks/", views.risk_export, name="risk-export"),
    path("exports/capas/", views.capa_export, name="capa-export"),
    path("soa.pdf", views.soa_pdf, name="soa-pdf"),
    path("documents/<int:pk>/procedure.pdf", views.procedure_pdf, name="procedure-pdf"),
    path("samples/new/", views.sample_new, name="sample-new"),
    path("review/dashboard/", views.dashboard, name="dashboard"),
    path("review/new/", views.review_new, name="review-new"),
]
