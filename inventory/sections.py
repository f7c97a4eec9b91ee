"""Sections other modules add to an AI system's page (disclosure facts, …), without the page
importing them: the inventory sits below every module that describes a system further. Each
registers, in its AppConfig.ready(), a template and a function building its context for the
request and the system (``None``: nothing to show to this person). ``main`` sections follow
the record in the left column; ``aside`` ones join the actions on the right."""

from collections.abc import Callable
from dataclasses import dataclass

from aims.core.rendering import render_fragment


@dataclass(frozen=True, kw_only=True)
class SystemSection:
    name: str
    template: str
    order: int
    context: Callable[[object, object], dict | None]  # (request, system) -> context
    column: str = "main"  # "main" or "aside"


_SECTIONS: dict[str, SystemSection] = {}


def register_section(*sections: SystemSection) -> None:
    for section in sections:
        if section.column not in ("main", "aside"):
            raise ValueError(f"{section.name}: column must be main or aside")
        _SECTIONS[section.name] = section


def rendered_sections(request, system) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"main": [], "aside": []}
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        context = section.context(request, system)
        if context is None:
            continue
        context.setdefault("system", system)
        out[section.column].append(render_fragment(section.template, context, request))
    return out
