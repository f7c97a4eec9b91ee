"""Detection on the incident page and the system page: the alerts each monitoring rule produced,
and the threshold changes incidents prompted (with the form that makes one)."""

from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory import permissions as inventory_permissions
from inventory.models import MonitoringRule

from .. import permissions, selectors, services
from ..forms import ThresholdChangeForm
from .actions import _act


def _rules_for(user, incident, *, offered_only=True):
    """Rules of the incident's affected systems; those this person may change (the inventory's
    rule: the systems' owners and managers) when offering the form. A posted form takes any of
    them, so that the service's refusal says why rather than "not a valid choice"."""
    systems = [a.system for a in incident.affected_systems.all()]
    if offered_only:
        systems = [s for s in systems if inventory_permissions.can_record_for_system(user, s)]
    return (
        MonitoringRule.objects.filter(system_id__in=[s.pk for s in systems])
        .select_related("system")
        .order_by("system__reference", "metric")
    )


def incident_section(request, incident) -> dict | None:
    """The incident page's "Detection" section: nothing when the incident came from no alert,
    prompted no threshold change and this person cannot make one."""
    context = selectors.incident_detection(incident)
    form = None
    # Also after closure: the post-incident review often ends in a new threshold.
    if permissions.can_change_detection(request.user, incident):
        rules = _rules_for(request.user, incident)
        if rules.exists():
            form = ThresholdChangeForm(auto_id="threshold-%s", rules=rules)
    if not (context["alerts"] or context["threshold_changes"] or form):
        return None
    return {**context, "form": form}


def system_section(request, system) -> dict | None:
    """The system page's "Alerts and threshold changes" section, of incidents this person sees."""
    context = selectors.system_detection(request.user, system)
    if not (context["recent_alerts"] or context["threshold_changes"]):
        return None
    rules = {r.pk: r for r in system.monitoring_rules.all()}
    context["per_rule"] = [
        {"rule": rules[rule_id], **row}
        for rule_id, row in context["counts"].items()
        if rule_id in rules
    ]
    return context


@login_required
@require_POST
def incident_threshold_change(request, pk):
    def build(incident):
        rules = _rules_for(request.user, incident, offered_only=False)
        return ThresholdChangeForm(request.POST, rules=rules)

    def perform(incident, data):
        change = services.threshold_change_for_incident(
            actor=request.user,
            incident=incident,
            rule=data["monitoring_rule"],
            data={
                "threshold": data["threshold"],
                "comparison": data["comparison"],
                "reason": data["reason"],
            },
        )
        return _("Threshold of %(metric)s is now %(cmp)s %(t)s, linked to %(ref)s.") % {
            "metric": change.metric,
            "cmp": change.new_comparison,
            "t": change.new_threshold.normalize(),
            "ref": incident.reference,
        }

    return _act(request, pk, build, perform)
