"""Every write to the inventory. HTML views, API views, commands and tasks all call these.

Each function is one business action in one transaction (``audited_write``): it re-checks
permission, validates (model ``full_clean`` plus database constraints) and saves through
``model_save`` so the acting user and the source land in the audit history.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, history_reason, model_save

from .. import hooks, permissions
from ..guards import check_change_guards
from ..models import AISystem, Deployment, ModelVersion, MonitoringRule

SYSTEM_FIELDS = frozenset(
    f.name
    for f in AISystem._meta.concrete_fields
    if f.editable and f.name not in ("id", "reference", "created_at", "updated_at")
)
MODEL_VERSION_FIELDS = frozenset(
    {
        "version_label",
        "artifact_reference",
        "artifact_digest",
        "training_data_version",
        "prompt_config_version",
        "evaluation_summary",
        "description",
        "wandb_artifact",
    }
)
DEPLOYMENT_FIELDS = frozenset(
    {"model_version", "environment", "deployed_at", "change_type", "change_reference", "notes"}
)
MONITORING_RULE_FIELDS = frozenset(
    {"metric", "comparison", "threshold", "window", "channel", "active", "change_reason"}
)


def _apply(instance, data: dict, allowed: frozenset) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed(f"These fields cannot be set here: {', '.join(sorted(unknown))}.")
    for name, value in data.items():
        setattr(instance, name, value)


@audited_write
def system_create(*, actor, data: dict) -> AISystem:
    require(permissions.can_create_system(actor))
    system = AISystem()
    _apply(system, data, SYSTEM_FIELDS)
    system.reference = allocate_reference("AIS")
    # The owners are users in hand and the reference was just allocated; ``clean`` checks the
    # scope justification that the database constraint also holds.
    return model_save(system, actor=actor, lookups=False)


@audited_write
def system_update(
    *, actor, system: AISystem, data: dict, expected_version: str | None = None
) -> AISystem:
    system = AISystem.objects.select_for_update(no_key=True).get(pk=system.pk)
    require(permissions.can_change_system(actor, system))
    check_version(system, expected_version)
    _apply(system, data, SYSTEM_FIELDS)
    return model_save(system, actor=actor, lookups=False)


@audited_write
def system_delete(*, actor, system: AISystem) -> None:
    require(permissions.can_delete_system(actor, system))
    system._history_user = actor
    system.delete()


@audited_write
def model_version_create(*, actor, system: AISystem, data: dict) -> ModelVersion:
    require(permissions.can_record_for_system(actor, system, what=_("add model versions")))
    version = ModelVersion(system=system)
    _apply(version, data, MODEL_VERSION_FIELDS)
    return model_save(version, actor=actor)


@audited_write
def model_version_update(*, actor, version: ModelVersion, data: dict) -> ModelVersion:
    version = (
        ModelVersion.objects.select_for_update(no_key=True)
        .select_related("system")
        .get(pk=version.pk)
    )
    require(permissions.can_record_for_system(actor, version.system, what=_("edit model versions")))
    _apply(version, data, MODEL_VERSION_FIELDS)
    return model_save(version, actor=actor)


@audited_write
def model_version_approve(
    *, actor, version: ModelVersion, at: datetime | None = None
) -> ModelVersion:
    """Record approval for release. Risk officer or GRC only: owners do not approve their own."""
    version = ModelVersion.objects.select_for_update(no_key=True).get(pk=version.pk)
    require(permissions.can_approve_model_version(actor))
    if version.approved_at:
        raise ValidationFailed(f"Version {version.version_label} was already approved.")
    version.approved_by = actor
    version.approved_at = at or timezone.now()
    # Only the approval changes, both halves set here: the label's uniqueness already holds.
    return model_save(version, actor=actor, lookups=False)


@audited_write
def deployment_record(*, actor, system: AISystem, data: dict) -> Deployment:
    """Add an entry to the model change log (deploy, rollback, retrain, ...)."""
    require(permissions.can_record_for_system(actor, system, what=_("record deployments")))
    deployment = Deployment(system=system, deployed_by=actor)
    data = dict(data)
    data.setdefault("deployed_at", timezone.now())
    _apply(deployment, data, DEPLOYMENT_FIELDS)
    check_change_guards(system, deployment.change_type)
    if deployment.deployed_at > timezone.now() + timedelta(minutes=5):
        raise ValidationFailed(
            "A deployment cannot be recorded in the future.",
            fields={"deployed_at": ["in the future"]},
        )
    # The system, the version and the actor are rows in hand; ``clean`` checks that the version
    # belongs to the system.
    deployment = model_save(deployment, actor=actor, lookups=False)
    hooks.deployment_recorded(deployment=deployment, actor=actor)
    return deployment


@audited_write
def deployment_correct(*, actor, deployment: Deployment, data: dict, reason: str) -> Deployment:
    """Correct a past change-log entry. Managers only, and the reason is kept in the history."""
    deployment = Deployment.objects.select_for_update(no_key=True).get(pk=deployment.pk)
    require(permissions.can_correct_change_log(actor))
    if not (reason or "").strip():
        raise ValidationFailed(
            "Say why the change-log entry is corrected.", fields={"reason": ["required"]}
        )
    _apply(deployment, data, DEPLOYMENT_FIELDS)
    deployment.correction_reason = reason.strip()
    deployment._change_reason = history_reason(reason)
    return model_save(deployment, actor=actor)


@audited_write
def monitoring_rule_create(*, actor, system: AISystem, data: dict) -> MonitoringRule:
    require(permissions.can_record_for_system(actor, system, what=_("add monitoring rules")))
    rule = MonitoringRule(system=system)
    _apply(rule, data, MONITORING_RULE_FIELDS)
    rule = model_save(rule, actor=actor, lookups=False)
    hooks.rule_changed(
        rule=rule, old_comparison=None, old_threshold=None, reason=rule.change_reason, actor=actor
    )
    return rule


@audited_write
def monitoring_rule_update(*, actor, rule: MonitoringRule, data: dict) -> MonitoringRule:
    rule = (
        MonitoringRule.objects.select_for_update(no_key=True)
        .select_related("system")
        .get(pk=rule.pk)
    )
    require(
        permissions.can_record_for_system(actor, rule.system, what=_("change monitoring rules"))
    )
    old_threshold, old_comparison = rule.threshold, rule.comparison
    _apply(rule, data, MONITORING_RULE_FIELDS)
    threshold = MonitoringRule._meta.get_field("threshold").to_python(rule.threshold)
    moved = threshold != old_threshold or rule.comparison != old_comparison
    if moved and not (data.get("change_reason") or "").strip():
        raise ValidationFailed(
            "Say why the threshold changes (name the incident that prompted it).",
            fields={"change_reason": ["required when the threshold changes"]},
        )
    rule._change_reason = history_reason(data.get("change_reason"))
    rule = model_save(rule, actor=actor, lookups=False)
    if moved:
        hooks.rule_changed(
            rule=rule,
            old_comparison=old_comparison,
            old_threshold=old_threshold,
            reason=rule.change_reason,
            actor=actor,
        )
    return rule
