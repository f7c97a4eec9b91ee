from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AISystem, Deployment, ModelVersion, MonitoringRule


@admin.register(AISystem)
class AISystemAdmin(SimpleHistoryAdmin):
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
    readonly_fields = ("reference",)


@admin.register(ModelVersion)
class ModelVersionAdmin(SimpleHistoryAdmin):
    list_display = ("system", "version_label", "approved_at")
    search_fields = ("system__reference", "version_label")


@admin.register(Deployment)
class DeploymentAdmin(SimpleHistoryAdmin):
    list_display = ("system", "model_version", "environment", "change_type", "deployed_at")
    list_filter = ("environment", "change_type")


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(SimpleHistoryAdmin):
    list_display = ("system", "metric", "comparison", "threshold", "active")
