from django.urls import include, path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.reports_home, name="reports"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("runs/<int:pk>/download/", views.run_download, name="run-download"),
    path("exports/", include("reporting.exports_urls")),
    path("samples/", include("reporting.samples_urls")),
    path("review/", include("reporting.review_urls")),
]
