"""Inventory records in the admin: read-only; writes go through ``inventory.services``."""

from django.contrib import admin

from aims.core.admin import ReadOnlyAdmin

from .models import AISystem, Deployment, ModelVersion, MonitoringRule


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
    list_display = ("system", "version_label", "approved_at")
    search_fields = ("system__reference", "version_label")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("system", "model_version", "environment", "change_type", "deployed_at")
    list_filter = ("environment", "change_type")


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(ReadOnlyAdmin):
    list_display = ("system", "metric", "comparison", "threshold", "active")
