"""HTML pages of the disclosure module."""

from django.urls import path

from . import views

app_name = "disclosure"

urlpatterns = [
    path("obligations/", views.obligations, name="obligations"),
    path("incidents/<int:pk>/refresh/", views.assessment_refresh, name="refresh"),
    path("incidents/<int:pk>/facts/", views.facts_update, name="facts"),
    path("incidents/<int:pk>/sign-off/", views.assessment_sign_off, name="sign-off"),
    path("incidents/<int:pk>/reopen/", views.assessment_reopen, name="reopen"),
    path("obligations/<int:pk>/confirm/", views.obligation_confirm, name="confirm"),
    path("obligations/<int:pk>/submit/", views.obligation_submit, name="submit"),
]
