"""The shared reads of a trail: one query each, for every system of the scope at once."""

from __future__ import annotations

from collections import defaultdict

from capa.models import CapaIncidentLink, CorrectiveAction
from capa.selectors import capas_visible_to
from incidents.models import AffectedSystem
from incidents.selectors import incidents_visible_to
from inventory.models import Deployment, ModelVersion, MonitoringRule

from ..models import Risk, RiskSystem
from ..selectors import risks_visible_to
from .base import (
    Scope,
)

# --- shared reads (one query each, for the whole scope) -----------------------------------------


def _versions(scope: Scope) -> list:
    return scope.memo(
        "versions",
        lambda: list(
            ModelVersion.objects.filter(system_id__in=scope.system_ids)
            .select_related("approved_by")
            .order_by("system_id", "created_at", "id")
        ),
    )


def _deployments(scope: Scope) -> list:
    return scope.memo(
        "deployments",
        lambda: list(
            Deployment.objects.filter(system_id__in=scope.system_ids)
            .select_related("model_version", "deployed_by")
            .order_by("system_id", "-deployed_at", "-id")
        ),
    )


def _rules(scope: Scope) -> list:
    return scope.memo(
        "rules",
        lambda: list(
            MonitoringRule.objects.filter(system_id__in=scope.system_ids).order_by(
                "system_id", "metric", "id"
            )
        ),
    )


def _affected(scope: Scope) -> list:
    """The visible incidents of the scope's systems, as their affected-system rows."""
    visible = incidents_visible_to(scope.user).values("pk")
    return scope.memo(
        "affected",
        lambda: list(
            AffectedSystem.objects.filter(system_id__in=scope.system_ids, incident__in=visible)
            .select_related("incident")
            .only(
                "id",
                "system_id",
                "incident__id",
                "incident__reference",
                "incident__title",
                "incident__status",
                "incident__detected_at",
                "incident__resolved_at",
                "incident__closed_at",
            )
            .order_by("system_id", "-incident__detected_at", "incident_id")
        ),
    )


def _capas(scope: Scope) -> list[tuple[int, CorrectiveAction]]:
    """(system id, CAPA) for the visible CAPAs answering the scope's visible incidents."""

    def compute():
        by_incident = defaultdict(set)
        for row in _affected(scope):
            by_incident[row.incident_id].add(row.system_id)
        links = (
            CapaIncidentLink.objects.filter(
                incident_id__in=list(by_incident),
                capa__in=capas_visible_to(scope.user).values("pk"),
            )
            .select_related("capa", "capa__owner")
            .order_by("capa__due_at", "capa_id")
        )
        seen, out = set(), []
        for link in links:
            for system_id in sorted(by_incident[link.incident_id]):
                if (system_id, link.capa_id) not in seen:
                    seen.add((system_id, link.capa_id))
                    out.append((system_id, link.capa))
        return out

    return scope.memo("capas", compute)


def _risks(scope: Scope) -> list[tuple[int, Risk]]:
    def compute():
        links = (
            RiskSystem.objects.filter(
                system_id__in=scope.system_ids,
                risk__in=risks_visible_to(scope.user).values("pk"),
            )
            .select_related("risk", "risk__owner")
            .order_by("risk__reference")
        )
        return [(link.system_id, link.risk) for link in links]

    return scope.memo("risks", compute)


def _by_system(pairs) -> dict[int, list]:
    out = defaultdict(list)
    for system_id, row in pairs:
        out[system_id].append(row)
    return out


def _assessments(scope: Scope) -> list:
    """Every impact assessment of the systems in scope (their versions), newest first."""
    from ..models import ImpactAssessment

    return scope.memo(
        "assessments",
        lambda: list(
            ImpactAssessment.objects.filter(system_id__in=scope.system_ids)
            .only(
                "pk",
                "reference",
                "system_id",
                "version",
                "status",
                "result",
                "next_due_date",
                "approved_at",
            )
            .order_by("system_id", "-version")
        ),
    )
