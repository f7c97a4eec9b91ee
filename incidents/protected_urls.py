"""URLs of the protected reporting channel: public pages and the handlers' pages."""

from django.urls import path

from . import protected_views

public_urlpatterns = [
    path("", protected_views.report_form, name="report"),
]

staff_urlpatterns = []
