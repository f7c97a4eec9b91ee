"""Sections other modules add to the incident page (disclosure, CAPA), without the page
importing them: each registers, in its AppConfig.ready(), a template and a function building
its context for the request and the incident. ``main`` sections follow the record in the left
column; ``aside`` ones join the actions on the right."""

from collections.abc import Callable
from dataclasses import dataclass

from aims.core.rendering import render_fragment


@dataclass(frozen=True, kw_only=True)
class IncidentSection:
    name: str
    template: str
    order: int
    context: Callable[[object, object], dict]  # (request, incident) -> context
    column: str = "main"  # "main" or "aside"


_SECTIONS: dict[str, IncidentSection] = {}


def register_section(*sections: IncidentSection) -> None:
    for section in sections:
        if section.column not in ("main", "aside"):
            raise ValueError(f"{section.name}: column must be main or aside")
        _SECTIONS[section.name] = section


def rendered_sections(request, incident) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"main": [], "aside": []}
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        context = section.context(request, incident)
        if context is None:
            continue
        context.setdefault("incident", incident)
        out[section.column].append(render_fragment(section.template, context, request))
    return out
