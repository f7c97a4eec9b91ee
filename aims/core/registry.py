"""What the shared pages show from the domain apps, without importing them.

Each domain app registers, in its ``AppConfig.ready()``:

- ``NavEntry`` rows: the left navigation (label, URL name, who sees it, order);
- ``HomePanel`` rows: sections of the home page (a template and a function that builds its
  context for the signed-in user).

The shared views (``aims.core.views.home``, the navigation context processor) read only these
lists, so a new app appears on every page by registering, and ``aims.core`` knows no app by name.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


def everyone(user) -> bool:
    return True


@dataclass(frozen=True, kw_only=True)
class NavEntry:
    label: str
    url_name: str
    order: int
    visible: Callable[[object], object] = everyone  # (user) -> truthy; a permission rule fits

    def url(self) -> str | None:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


@dataclass(frozen=True, kw_only=True)
class HomePanel:
    """A home-page section: ``template`` rendered with ``context(user)``, in ``order``."""

    name: str
    template: str
    order: int
    context: Callable[[object], dict]
    visible: Callable[[object], object] = everyone


_NAVIGATION: dict[str, NavEntry] = {}
_HOME_PANELS: dict[str, HomePanel] = {}


def register_navigation(*entries: NavEntry) -> None:
    for entry in entries:
        _NAVIGATION[entry.url_name] = entry


def register_home_panel(*panels: HomePanel) -> None:
    for panel in panels:
        _HOME_PANELS[panel.name] = panel


def navigation_for(user) -> list[NavEntry]:
    return [e for e in sorted(_NAVIGATION.values(), key=lambda e: e.order) if e.visible(user)]


def home_panels_for(user) -> list[HomePanel]:
    return [p for p in sorted(_HOME_PANELS.values(), key=lambda p: p.order) if p.visible(user)]


@dataclass(frozen=True, kw_only=True)
class ReportSection:
    """A section a module adds to every incident's case file (and so to audit samples).

    ``context(incident)`` reads what the section shows (no writes); ``template`` renders it
    for the PDF; ``history`` names the module's audited records of the incident —
    ``(model, lookup to the incident id, label)`` — so the case file's audit trail covers them.
    The lookup may instead be a function ``(incident id) -> Q`` over the historical table, for
    records that reach the incident only through another table (a CAPA, through its links).
    """

    name: str
    title: str
    order: int
    template: str
    context: Callable[[object], dict]
    history: tuple = ()


_REPORT_SECTIONS: dict[str, ReportSection] = {}


def register_report_section(*sections: ReportSection) -> None:
    for section in sections:
        _REPORT_SECTIONS[section.name] = section


def report_sections() -> list[ReportSection]:
    return sorted(_REPORT_SECTIONS.values(), key=lambda s: s.order)
