"""The trail's steps, requirement to impact assessment: each returns its rows per system."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import (
    Scope,
    TrailRow,
    TrailStep,
    register_trail_step,
)
from .reads import (
    _affected,
    _assessments,
    _by_system,
    _capas,
    _deployments,
    _risks,
    _rules,
    _versions,
)

# --- the steps ----------------------------------------------------------------------------------


def requirement_rows(scope: Scope):
    out = {}
    for system in scope.systems:
        rows = [TrailRow(label=_("Intended purpose"), detail=system.intended_purpose)]
        rows.append(
            TrailRow(label=_("Validation status"), detail=system.get_validation_status_display())
        )
        rows.append(
            TrailRow(
                label=_("Model card"),
                detail=system.model_card_url or _("no model card linked"),
                url=system.model_card_url,
            )
        )
        out[system.pk] = rows
    return out


def evaluation_rows(scope: Scope):
    return _by_system(
        (
            v.system_id,
            TrailRow(
                label=v.version_label,
                detail=v.evaluation_summary or _("no evaluation summary"),
                at=v.created_at,
            ),
        )
        for v in _versions(scope)
    )


def approval_rows(scope: Scope):
    return _by_system(
        (
            v.system_id,
            TrailRow(
                label=v.version_label,
                detail=(
                    _("approved by %(who)s") % {"who": v.approved_by}
                    if v.approved_at
                    else _("not approved")
                ),
                at=v.approved_at,
            ),
        )
        for v in _versions(scope)
    )


def deployment_rows(scope: Scope):
    return _by_system(
        (
            d.system_id,
            TrailRow(
                label=f"{d.get_change_type_display()} {d.model_version.version_label}",
                detail=f"{d.get_environment_display()} · {d.change_reference or _('no change reference')}",
                at=d.deployed_at,
            ),
        )
        for d in _deployments(scope)
    )


def monitoring_rows(scope: Scope):
    return _by_system(
        (
            r.system_id,
            TrailRow(
                label=f"{r.metric} {r.get_comparison_display()} {r.threshold}",
                detail=r.change_reason or r.channel,
                at=r.updated_at,
            ),
        )
        for r in _rules(scope)
    )


def incident_rows(scope: Scope):
    return _by_system(
        (
            a.system_id,
            TrailRow(
                label=f"{a.incident.reference} {a.incident.title}",
                detail=a.incident.get_status_display(),
                url=reverse("incidents:incident-detail", args=[a.incident_id]),
                at=a.incident.detected_at,
            ),
        )
        for a in _affected(scope)
    )


def capa_rows(scope: Scope):
    return _by_system(
        (
            system_id,
            TrailRow(
                label=f"{c.reference} {c.title}",
                detail=c.get_status_display(),
                url=c.get_absolute_url(),
                at=c.due_at,
            ),
        )
        for system_id, c in _capas(scope)
    )


def risk_rows(scope: Scope):
    return _by_system(
        (
            system_id,
            TrailRow(
                label=f"{r.reference} {r.title}",
                detail=r.get_status_display(),
                url=r.get_absolute_url(),
                at=r.next_review_date,
            ),
        )
        for system_id, r in _risks(scope)
    )


def impact_rows(scope: Scope):
    return _by_system(
        (
            a.system_id,
            TrailRow(
                label=f"{a.reference} v{a.version}",
                detail=" · ".join(
                    str(part) for part in (a.get_status_display(), a.get_result_display()) if part
                ),
                url=a.get_absolute_url(),
                at=a.next_due_date,
            ),
        )
        for a in _assessments(scope)
    )


register_trail_step(
    TrailStep(
        key="requirement", title=gettext_lazy("Requirement"), order=10, rows=requirement_rows
    ),
    TrailStep(key="evaluation", title=gettext_lazy("Evaluation"), order=20, rows=evaluation_rows),
    TrailStep(key="approval", title=gettext_lazy("Approval"), order=30, rows=approval_rows),
    TrailStep(key="deployment", title=gettext_lazy("Deployment"), order=40, rows=deployment_rows),
    TrailStep(
        key="monitoring", title=gettext_lazy("Monitoring rules"), order=50, rows=monitoring_rows
    ),
    TrailStep(key="incidents", title=gettext_lazy("Incidents"), order=60, rows=incident_rows),
    TrailStep(key="capas", title=gettext_lazy("CAPAs"), order=70, rows=capa_rows),
    TrailStep(key="risks", title=gettext_lazy("Risks"), order=80, rows=risk_rows),
    TrailStep(key="impact", title=gettext_lazy("Impact assessments"), order=90, rows=impact_rows),
)
