"""Inventory records in the admin: read-only; writes go through ``inventory.services``."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from aims.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    AISystem,
    Deployment,
    ModelRegistryLink,
    ModelVersion,
    MonitoringRule,
    RegistrySync,
)


@admin.register(AISystem)
class AISystemAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "name",
        "lifecycle_status",
        "internal_risk_tier",
        "eu_ai_act_class",
        "business_owner",
    )
    list_filter = ("lifecycle_status", "internal_risk_tier", "eu_ai_act_class", "validation_status")
    search_fields = ("reference", "name")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("system", "version_label", "registry_version", "wandb_artifact", "approved_at")
    search_fields = ("system__reference", "version_label")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("system", "model_version", "environment", "change_type", "deployed_at")
    list_filter = ("environment", "change_type")


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(ReadOnlyAdmin):
    list_display = ("system", "metric", "comparison", "threshold", "active")


class RegistrySyncInline(ReadOnlyInline, admin.TabularInline):
    model = RegistrySync
    fields = readonly_fields = (
        "created_at",
        "trigger",
        "status",
        "tries",
        "versions_added",
        "versions_updated",
        "alias_moves",
        "error_message",
    )
    ordering = ("-created_at",)
    max_num = 0


@admin.register(ModelRegistryLink)
class ModelRegistryLinkAdmin(SimpleHistoryAdmin):
    """Reference data: which registered model a system is, and which alias means production.

    Credentials are not stored here: the sync reads MLFLOW_TRACKING_TOKEN, or
    MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, from the environment."""

    list_display = ("system", "model_name", "production_alias", "active", "last_synced_at")
    list_filter = ("active",)
    search_fields = ("system__reference", "model_name")
    readonly_fields = ("last_synced_at", "last_sync_summary")
    autocomplete_fields = ()
    inlines = [RegistrySyncInline]

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "linked_by": request.user.pk}


@admin.register(RegistrySync)
class RegistrySyncAdmin(ReadOnlyAdmin):
    list_display = ("link", "trigger", "status", "tries", "created_at", "finished_at")
    list_filter = ("status", "trigger")
