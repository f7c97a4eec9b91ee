"""Detection after a failure (ISO/IEC 42001 A.6.2.6): the monitoring rules an incident's alerts
came from, and the threshold changes an incident prompted.

A threshold change is linked to every incident its reason names (``INC-…``), however it was
made: from the incident page (which writes the reference into the reason) or on the rule in the
inventory. The inventory tells this module through its rule-change listener, so it never imports
the incident register; the link is written in the rule change's own transaction.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_bulk_create
from inventory.models import MonitoringRule
from inventory.services import monitoring_rule_update

from .. import events, permissions
from ..models import AffectedSystem, DetectionThresholdChange, Incident
from ..rules import incident_references_in
from ..selectors import incidents_visible_to


def rules_matching(alerts) -> dict[tuple[int, str], MonitoringRule]:
    """The monitoring rule behind each alert of a delivery, in one query: a rule of the alert's
    system whose metric is the alert's ``metric`` label or, failing that, its name (compared
    without case). An active rule wins over an inactive one."""
    wanted = {(a.system.pk, alert_metric(a)) for a in alerts if alert_metric(a)}
    if not wanted:
        return {}
    found: dict[tuple[int, str], MonitoringRule] = {}
    rules = MonitoringRule.objects.filter(system_id__in={s for s, _m in wanted}).order_by(
        "-active", "id"
    )
    for rule in rules:
        key = (rule.system_id, rule.metric.strip().lower())
        if key in wanted:
            found.setdefault(key, rule)
    return found


def alert_metric(alert) -> str:
    return str(alert.labels.get("metric") or alert.name or "").strip().lower()


def link_rule_change(*, rule, old_comparison, old_threshold, reason, actor) -> None:
    """The inventory's rule-change listener: link the change to the incidents its reason names
    that the person making it may see."""
    references = incident_references_in(reason)
    if not references:
        return
    # Only incidents the person may see: naming a restricted incident's reference writes
    # nothing on it.
    incidents = list(incidents_visible_to(actor).filter(reference__in=references))
    if not incidents:
        return
    now = timezone.now()
    changes = model_bulk_create(
        [
            DetectionThresholdChange(
                incident=incident,
                monitoring_rule=rule,
                metric=rule.metric[:200],
                old_comparison=old_comparison or "",
                old_threshold=old_threshold,
                new_comparison=rule.comparison,
                new_threshold=rule.threshold,
                reason=reason,
                changed_by=actor,
                changed_at=now,
            )
            for incident in incidents
        ],
        actor=actor,
        validate=False,  # built from rows in hand
    )
    for change in changes:
        change.monitoring_rule = rule
        events.threshold_changed_event(incident=change.incident, actor=actor, change=change)


@audited_write
def threshold_change_for_incident(
    *, actor, incident: Incident, rule: MonitoringRule, data: dict
) -> DetectionThresholdChange:
    """Change a detection threshold of one of the incident's affected systems because of it.

    ``data``: ``threshold`` (required), ``comparison`` (optional), ``reason`` (required). The
    rule change itself is the inventory's (its permission, validation and history); the reason
    it records starts with the incident's reference, which links the two.
    """
    require(permissions.can_change_detection(actor, incident))
    if not AffectedSystem.objects.filter(incident=incident, system_id=rule.system_id).exists():
        raise ValidationFailed(
            _("Choose a monitoring rule of one of the incident's affected systems."),
            fields={"monitoring_rule": [_("not a rule of an affected system")]},
        )
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the threshold changes after this incident."),
            fields={"reason": [_("required")]},
        )
    field = MonitoringRule._meta.get_field("threshold")
    try:
        threshold = field.to_python(data.get("threshold"))
    except DjangoValidationError:
        threshold = None
    if threshold is None:
        raise ValidationFailed(
            _("Give the new threshold as a number, e.g. 0.25."),
            fields={"threshold": [_("a number is required")]},
        )
    comparison = data.get("comparison") or rule.comparison
    if (comparison, threshold) == (rule.comparison, rule.threshold):
        raise ValidationFailed(
            _("The rule already has this threshold; give a new value."),
            fields={"threshold": [_("unchanged")]},
        )
    monitoring_rule_update(
        actor=actor,
        rule=rule,
        data={
            "threshold": threshold,
            "comparison": comparison,
            "change_reason": f"{incident.reference}: {reason}",
        },
    )
    return (
        DetectionThresholdChange.objects.filter(incident=incident, monitoring_rule=rule)
        .order_by("-changed_at", "-id")
        .first()
    )
