"""The reads the trail page, the consistency check (page, API, command) and the PDF use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aims.accounts.choices import READ_ALL, Role

from .base import (
    _CHECKS,
    Gap,
    Scope,
    gap_checks,
    gap_kinds,
    scope_for,
    trail_steps,
    trail_systems_visible_to,
)

# --- the selectors the pages, the API, the command and the PDF read -----------------------------


def find_gaps(scope: Scope, *, codes: Iterable[str] | None = None) -> list[Gap]:
    wanted = set(codes) if codes else None
    gaps = []
    for check in gap_checks():
        if wanted is None or check.code in wanted:
            gaps.extend(check.find(scope))
    return sorted(gaps, key=lambda g: (g.system_reference, _order_of(g.code), g.subject))


def _order_of(code: str) -> int:
    check = _CHECKS.get(code)
    return check.order if check else 0


def consistency_check(user, *, codes=None, system_id=None, now=None) -> dict:
    """Every gap of the systems ``user`` may see (optionally of one kind or one system), with
    the count per kind (the filters do not change which kinds are listed)."""
    systems = trail_systems_visible_to(user).order_by("reference")
    if system_id:
        systems = systems.filter(pk=system_id)
    scope = scope_for(user, systems, now=now)
    gaps = find_gaps(scope, codes=codes)
    counts = {code: 0 for code, _label in gap_kinds()}
    for gap in gaps:
        counts[gap.code] = counts.get(gap.code, 0) + 1
    return {"gaps": gaps, "counts": counts, "systems": len(scope.systems)}


@dataclass(kw_only=True)
class TrailStepView:
    key: str
    title: str
    rows: list
    gaps: list


def system_trail(user, system, *, now=None) -> dict:
    """The trail of one system: each step with its records and the gaps flagged on it."""
    scope = scope_for(user, [system], now=now)
    gaps = find_gaps(scope)
    step_of = {c.code: c.step for c in gap_checks()}
    steps = []
    for step in trail_steps():
        steps.append(
            TrailStepView(
                key=step.key,
                title=str(step.title),
                rows=step.rows(scope).get(system.pk, []),
                gaps=[g for g in gaps if step_of.get(g.code) == step.key],
            )
        )
    return {"system": system, "steps": steps, "gaps": gaps, "generated_at": scope.now}


def trail_system_readable(user, system) -> bool:
    """Without a query: the read-all roles read every trail, an engineer those of their systems."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_role(*READ_ALL):
        return True
    return user.has_role(Role.ENGINEER) and system.is_owned_by(user)


def trail_system(user, pk):
    """The system, when ``user`` may read its trail; None otherwise."""
    return trail_systems_visible_to(user).filter(pk=pk).first()
