from django.urls import include, path

from . import views
from .api.casefile import case_file_html_view

app_name = "reporting"

urlpatterns = [
    path("", views.reports_home, name="reports"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/download/", views.run_download, name="run-download"),
    path("incidents/<int:pk>/case-file.pdf", case_file_html_view, name="incident-case-file"),
    path("exports/", include("reporting.exports_urls")),
    path("samples/", include("reporting.samples_urls")),
    path("review/", include("reporting.review_urls")),
]
