"""What a trail is made of (gaps, rows, the scope, the two registries), its pure rules and
who sees trails."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from django.urls import reverse
from django.utils import timezone

from aims.accounts.choices import READ_ALL, Role
from capa.choices import ActionStatus
from incidents.rules import incident_references_in
from inventory.models import AISystem
from inventory.selectors import systems_owned_by, systems_visible_to

OPEN_CAPA_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


# --- what a trail is made of --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Gap:
    """One broken link of a system's trail: ``code`` is stable (filters, the API, scripts)."""

    code: str
    system_id: int | None
    system_reference: str
    subject: str  # the record concerned: a version label, a change-log entry, INC-…, RISK-…
    message: str
    fix_url: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "system": self.system_id,
            "system_reference": self.system_reference,
            "subject": self.subject,
            "message": self.message,
            "fix_url": self.fix_url,
        }


@dataclass(frozen=True, kw_only=True)
class TrailRow:
    """One record on a step of the trail."""

    label: str
    detail: str = ""
    url: str = ""
    at: datetime | date | None = None


@dataclass(kw_only=True)
class Scope:
    """The person, the systems in question and the time a trail or a check is read at."""

    user: object
    systems: list
    now: datetime
    cache: dict = field(default_factory=dict)

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @property
    def system_ids(self) -> list[int]:
        return [s.pk for s in self.systems]

    @cached_property
    def by_id(self) -> dict:
        return {s.pk: s for s in self.systems}

    def memo(self, key: str, compute: Callable[[], object]):
        """A read shared by a step and a check (versions, incidents): made once per scope."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True, kw_only=True)
class TrailStep:
    key: str
    title: str
    order: int
    rows: Callable[[Scope], dict[int, list[TrailRow]]]


@dataclass(frozen=True, kw_only=True)
class GapCheck:
    code: str
    label: str
    step: str
    order: int
    find: Callable[[Scope], list[Gap]]


_STEPS: dict[str, TrailStep] = {}
_CHECKS: dict[str, GapCheck] = {}


def register_trail_step(*steps: TrailStep) -> None:
    for step in steps:
        _STEPS[step.key] = step


def register_gap_check(*checks: GapCheck) -> None:
    for check in checks:
        _CHECKS[check.code] = check


def trail_steps() -> list[TrailStep]:
    return sorted(_STEPS.values(), key=lambda s: s.order)


def gap_checks() -> list[GapCheck]:
    return sorted(_CHECKS.values(), key=lambda c: c.order)


def gap_kinds() -> list[tuple[str, str]]:
    """(code, label) of every registered check, in trail order: the filter's choices."""
    return [(c.code, str(c.label)) for c in gap_checks()]


# --- pure rules ---------------------------------------------------------------------------------


def names_known_incident(reason: str, known: Iterable[str]) -> bool:
    """A threshold change is linked to an incident when its reason names one that exists."""
    return bool(incident_references_in(reason) & set(known))


def threshold_changes(rows: Iterable) -> list:
    """The history rows (oldest first, of one rule) at which the threshold took a new value;
    the first row (the rule's creation) is not a change."""
    changes, previous = [], None
    for row in rows:
        if previous is not None and row.threshold != previous:
            changes.append(row)
        previous = row.threshold
    return changes


def entry_updated_after(last_change: datetime | None, resolved_at: datetime | None) -> bool:
    """The system's inventory entry was revised after the incident was resolved (DESIGN:
    the post-incident documentation update — validation status, model card, description)."""
    if resolved_at is None:
        return True
    return last_change is not None and last_change > resolved_at


def review_overdue(next_review: date | None, today: date) -> bool:
    return next_review is not None and next_review < today


def capa_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    return status in OPEN_CAPA_STATUSES and due_at is not None and due_at < now


def incident_open_at(detected_at, closed_at, at) -> bool:
    """An incident was open at ``at``: detected by then and not closed before."""
    return detected_at <= at and (closed_at is None or closed_at >= at)


# --- who sees trails ----------------------------------------------------------------------------


def trail_systems_visible_to(user):
    """The systems whose trail ``user`` reads: all of them for the read-all roles, the systems
    they own for an engineer, none for anybody else (see ``permissions.can_read_trail``)."""
    if getattr(user, "is_authenticated", False) and (user.is_superuser or user.has_role(*READ_ALL)):
        return systems_visible_to(user)
    if getattr(user, "is_authenticated", False) and user.has_role(Role.ENGINEER):
        return systems_owned_by(user)
    return AISystem.objects.none()


def scope_for(user, systems=None, *, now=None) -> Scope:
    if systems is None:
        systems = trail_systems_visible_to(user).order_by("reference")
    return Scope(user=user, systems=list(systems), now=now or timezone.now())


def _system_url(system_id) -> str:
    return reverse("inventory:system-detail", args=[system_id])


def _ref(scope: Scope, system_id) -> str:
    system = scope.by_id.get(system_id)
    return system.reference if system else ""
