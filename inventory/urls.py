"""HTML pages of the AI system inventory, mounted at ``/systems/``."""

from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("", views.system_list, name="system-list"),
    path("new/", views.system_create, name="system-create"),
    path("<int:pk>/", views.system_detail, name="system-detail"),
    path("<int:pk>/edit/", views.system_edit, name="system-edit"),
    path("<int:pk>/versions/new/", views.model_version_create, name="model-version-create"),
    path("versions/<int:pk>/approve/", views.model_version_approve, name="model-version-approve"),
    path("<int:pk>/registry-sync/", views.registry_sync, name="registry-sync"),
    path("<int:pk>/deployments/new/", views.deployment_create, name="deployment-create"),
    path(
        "<int:pk>/monitoring-rules/new/",
        views.monitoring_rule_create,
        name="monitoring-rule-create",
    ),
    path(
        "monitoring-rules/<int:pk>/edit/",
        views.monitoring_rule_edit,
        name="monitoring-rule-edit",
    ),
]
