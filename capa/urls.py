"""HTML pages of the learning loop."""

from django.urls import path

from . import views

app_name = "capa"

urlpatterns = [
    # CAPA records
    path("", views.register, name="register"),
    path("new/", views.capa_create, name="capa-create"),
    path("<int:pk>/", views.capa_detail, name="capa-detail"),
    path("<int:pk>/edit/", views.capa_edit, name="capa-edit"),
    path("<int:pk>/transition/", views.capa_transition, name="capa-transition"),
    path("<int:pk>/check/", views.check_plan, name="check-plan"),
    path("<int:pk>/check/result/", views.check_result, name="check-result"),
    path("<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence-download"),
    path("incidents/<int:pk>/no-capa/", views.no_capa_decide, name="no-capa"),
    # audit findings
    path("findings/", views.findings, name="findings"),
    path("findings/new/", views.finding_create, name="finding-create"),
    path("findings/<int:pk>/", views.finding_detail, name="finding-detail"),
    path("findings/<int:pk>/transition/", views.finding_transition, name="finding-transition"),
]
