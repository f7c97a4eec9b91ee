"""Reads of clocks: a person's work, a record's clocks, and what a clock means right now."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .choices import ACTIVE, ClockState
from .models import Clock


def clocks_owned_by(user) -> QuerySet[Clock]:
    """Every running or breached clock the user owns — in person, or through a role when the clock
    has no personal owner — soonest first."""
    if not user.is_authenticated:
        return Clock.objects.none()
    roles = list(user.role_names)
    return (
        Clock.objects.filter(ACTIVE)
        .filter(Q(owner=user) | Q(owner__isnull=True, owner_role__in=roles))
        .select_related("owner", "target_type")
        .order_by("due_at", "id")
    )


def clocks_of_targets(model, ids) -> dict[int, list[Clock]]:
    content_type = ContentType.objects.get_for_model(model)
    found: dict[int, list[Clock]] = {}
    for clock in Clock.objects.filter(
        target_type=content_type, target_id__in=list(ids)
    ).select_related("owner"):
        found.setdefault(clock.target_id, []).append(clock)
    return found


def overdue_exists(model, *, now: datetime | None = None):
    """An ``Exists`` expression: the record has a clock past its due time and not yet met."""
    now = now or timezone.now()
    return Exists(
        Clock.objects.filter(
            ACTIVE,
            target_type=ContentType.objects.get_for_model(model),
            target_id=OuterRef("pk"),
            due_at__lt=now,
        )
    )


@dataclass(frozen=True)
class ClockView:
    """What a person needs to read a clock at a glance."""

    clock: Clock
    overdue: bool
    phrase: str


def _human(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def describe(clock: Clock, *, now: datetime | None = None) -> ClockView:
    now = now or timezone.now()
    if clock.state == ClockState.MET:
        return ClockView(clock, False, f"met {clock.met_at:%Y-%m-%d %H:%M}")
    if clock.state == ClockState.NOT_APPLICABLE:
        return ClockView(
            clock,
            False,
            f"not applicable ({clock.ended_reason})" if clock.ended_reason else "not applicable",
        )
    if clock.met_at:
        return ClockView(
            clock, True, f"met late, {_human(clock.met_at - clock.due_at)} after the deadline"
        )
    if now > clock.due_at:
        return ClockView(clock, True, f"overdue by {_human(now - clock.due_at)}")
    return ClockView(clock, False, f"{_human(clock.due_at - now)} left")
