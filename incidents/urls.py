"""HTML pages of the incident register, mounted at ``/incidents/``."""

from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.incident_create, name="incident-create"),
    path("new/assist/", views.incident_assist, name="incident-assist"),
    path("<int:pk>/", views.incident_detail, name="incident-detail"),
    path("<int:pk>/edit/", views.incident_edit, name="incident-edit"),
    path("<int:pk>/transition/", views.incident_transition, name="incident-transition"),
    path("<int:pk>/severity/", views.incident_severity, name="incident-severity"),
    path("<int:pk>/notes/", views.incident_note, name="incident-note"),
    path("<int:pk>/lead/", views.incident_lead, name="incident-lead"),
    path("<int:pk>/participants/", views.incident_participant, name="incident-participant"),
    path("<int:pk>/systems/", views.incident_system, name="incident-system"),
    path("<int:pk>/containment/", views.incident_containment, name="incident-containment"),
    path(
        "<int:pk>/registry-rollbacks/",
        views.incident_registry_rollbacks,
        name="incident-registry-rollbacks",
    ),
    path(
        "<int:pk>/registry-rollbacks/retry/",
        views.incident_registry_rollback_retry,
        name="incident-registry-rollback-retry",
    ),
    path("<int:pk>/waiver/", views.incident_waiver, name="incident-waiver"),
    path("<int:pk>/notifications/", views.incident_notification, name="incident-notification"),
    path("<int:pk>/evidence/", views.evidence_add, name="evidence-add"),
    path(
        "<int:pk>/threshold-changes/",
        views.incident_threshold_change,
        name="incident-threshold-change",
    ),
]
