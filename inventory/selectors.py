"""Reads of the inventory, shared by the HTML pages, the API and other modules."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet

from .choices import Environment, EUAIActClass, LifecycleStatus, ValidationStatus
from .models import AISystem, Deployment, ModelVersion, MonitoringRule, RegistrySync
from .permissions import can_view_inventory


def systems_visible_to(user) -> QuerySet[AISystem]:
    """The one queryset every list, detail and export of systems starts from."""
    if not can_view_inventory(user):
        return AISystem.objects.none()
    return AISystem.objects.select_related("business_owner", "technical_owner")


def model_versions_visible_to(user) -> QuerySet[ModelVersion]:
    if not can_view_inventory(user):
        return ModelVersion.objects.none()
    return ModelVersion.objects.select_related("system", "approved_by")


def deployments_visible_to(user) -> QuerySet[Deployment]:
    if not can_view_inventory(user):
        return Deployment.objects.none()
    return Deployment.objects.select_related("system", "model_version", "deployed_by")


def monitoring_rules_visible_to(user) -> QuerySet[MonitoringRule]:
    if not can_view_inventory(user):
        return MonitoringRule.objects.none()
    return MonitoringRule.objects.select_related("system")


def systems_owned_by(user) -> QuerySet[AISystem]:
    if not user.is_authenticated:
        return AISystem.objects.none()
    return systems_visible_to(user).filter(Q(business_owner=user) | Q(technical_owner=user))


def system_list(user) -> QuerySet[AISystem]:
    """Systems for the list page, with their version and deployment counts in one query."""
    return systems_visible_to(user).annotate(
        version_count=Count("model_versions", distinct=True),
    )


def deployment_in_production_at(system: AISystem, at: datetime) -> Deployment | None:
    """The change-log entry that put the version in production that was running at ``at``.

    The newest production deployment at or before ``at`` wins (a rollback is a deployment of an
    older version, so it is answered correctly). Uses the (system, environment, deployed_at)
    index: one query whatever the log's length.
    """
    return (
        Deployment.objects.select_related("model_version", "deployed_by")
        .filter(system=system, environment=Environment.PRODUCTION, deployed_at__lte=at)
        .order_by("-deployed_at", "-id")
        .first()
    )


def recent_deployments(
    system: AISystem, *, since: datetime, until: datetime
) -> QuerySet[Deployment]:
    """Changes to a system in a window — "did anything change recently?" at triage."""
    return (
        Deployment.objects.select_related("system", "model_version", "deployed_by")
        .filter(system=system, deployed_at__gte=since, deployed_at__lte=until)
        .order_by("-deployed_at", "-id")
    )


def inventory_headline() -> dict:
    """The inventory's headline figures for the home page, in one query."""
    return AISystem.objects.aggregate(
        total=Count("id"),
        production=Count("id", filter=Q(lifecycle_status=LifecycleStatus.PRODUCTION)),
        high_risk=Count("id", filter=Q(eu_ai_act_class=EUAIActClass.HIGH_RISK)),
        not_validated=Count(
            "id",
            filter=~Q(validation_status=ValidationStatus.VALIDATED)
            & ~Q(lifecycle_status=LifecycleStatus.RETIRED),
        ),
    )


def registry_syncs(system: AISystem) -> QuerySet[RegistrySync]:
    """The system's registry sync log, newest first."""
    return (
        RegistrySync.objects.filter(link__system=system)
        .select_related("link", "requested_by")
        .order_by("-created_at", "-id")
    )
