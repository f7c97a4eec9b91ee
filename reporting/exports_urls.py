"""HTML routes of the register exports, mounted at ``/reports/exports/``."""

from django.urls import path

from . import exports

urlpatterns = [
    path("new/", exports.export_new, name="export-new"),
]
