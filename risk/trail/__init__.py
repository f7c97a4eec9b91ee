"""The evidence trail of an AI system, and the consistency check of the whole inventory.

An auditor samples a system and walks its trail: requirement (intended purpose, validation
status, model card) -> evaluation -> approval -> deployment (the change log) -> monitoring
rules -> incidents -> CAPAs -> risks -> impact assessments (ISO/IEC 42001 clauses 6.1, 8.2-8.4,
9.1, 10.2). Each broken link is a *gap*, with a stable code, a sentence saying what is missing
and a link to the page where it is put right. The consistency check runs the same gap checks
over every system a person may see.

Two small registries make the trail: **trail steps** (what a step shows) and **gap checks**
(what a check finds). Both work on a :class:`Scope` — the person, the systems in question and
the time — for *all* those systems at once, so the trail of one system and the check of the
whole inventory are the same code and cost the same number of queries whatever the inventory's
size (no query per system).

How a module adds a step (the impact assessments, say), in its ``AppConfig.ready()`` or the
risk app's::

    from risk import trail

    trail.register_trail_step(
        trail.TrailStep(key="impact", title=_("Impact assessments"), order=90, rows=impact_rows)
    )
    trail.register_gap_check(
        trail.GapCheck(
            code="impact_assessment_overdue", label=_("Impact assessment missing or overdue"),
            step="impact", order=90, find=impact_gaps,
        )
    )

``rows(scope)`` returns ``{system_id: [TrailRow, ...]}`` and ``find(scope)`` a list of
:class:`Gap`; each runs a fixed number of queries for the whole scope (read
``scope.system_ids``, filter with ``__in``, never query per system) and shows only records the
person may see (start from the module's ``*_visible_to`` selector). ``step`` names the trail step
under which the check's gaps are flagged. Registering the same key or code again replaces the
entry, so a reload never doubles a step.

The pure rules (is a version approved, does a reason name an incident, was the entry updated
after the incident) are plain functions in ``base``, tested with plain values. The package:
``base`` (what a trail is made of, the registries, the pure rules, who sees trails), ``reads``
(the shared queries), ``steps`` and ``gaps`` (the registered steps and checks), ``trails``
(what the pages, the API, the command and the PDF read).
"""

from . import gaps, steps  # noqa: F401 - importing them registers the steps and checks
from .base import (
    _CHECKS,
    _STEPS,
    OPEN_CAPA_STATUSES,
    Gap,
    GapCheck,
    Scope,
    TrailRow,
    TrailStep,
    _ref,
    _system_url,
    capa_overdue,
    entry_updated_after,
    gap_checks,
    gap_kinds,
    incident_open_at,
    names_known_incident,
    register_gap_check,
    register_trail_step,
    review_overdue,
    scope_for,
    threshold_changes,
    trail_steps,
    trail_systems_visible_to,
)
from .trails import (
    TrailStepView,
    consistency_check,
    find_gaps,
    system_trail,
    trail_system,
    trail_system_readable,
)

__all__ = [
    "Gap",
    "GapCheck",
    "OPEN_CAPA_STATUSES",
    "Scope",
    "TrailRow",
    "TrailStep",
    "TrailStepView",
    "_CHECKS",
    "_STEPS",
    "_ref",
    "_system_url",
    "capa_overdue",
    "consistency_check",
    "entry_updated_after",
    "find_gaps",
    "gap_checks",
    "gap_kinds",
    "incident_open_at",
    "names_known_incident",
    "register_gap_check",
    "register_trail_step",
    "review_overdue",
    "scope_for",
    "system_trail",
    "threshold_changes",
    "trail_steps",
    "trail_system",
    "trail_system_readable",
    "trail_systems_visible_to",
]
