"""Starting, meeting and ending clocks; the beat tick that reminds and escalates.

Modules call ``clock_start`` / ``clock_met`` / ``clock_cancel`` from their own services, in the
same transaction as the change that starts or stops the clock. The tick (``clocks_tick``) finds
what is due with one indexed query on ``next_action_at`` and creates each (clock, step,
recipient) delivery once — the unique constraint on deliveries is the guarantee.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from aims.core.services import audited_write, model_save

from . import rules
from .choices import ACTIVE, CLOCK_OWNER, ClockState
from .models import BusinessCalendar, Clock, ClockPolicy
from .registry import target_for

logger = logging.getLogger(__name__)
TICK_BATCH = 500


def calendar_rules() -> rules.CalendarRules:
    """The active business calendar as plain rules (public holidays from the ``holidays`` package)."""
    calendar = BusinessCalendar.objects.filter(active=True).prefetch_related("exceptions").first()
    if calendar is None:
        return rules.CalendarRules()
    public = holidays_lib.country_holidays(calendar.country, subdiv=calendar.subdivision or None)
    exceptions = list(calendar.exceptions.all())
    return rules.CalendarRules(
        tz=ZoneInfo(calendar.time_zone),
        working_weekdays=frozenset(calendar.working_weekdays) or rules.MONDAY_TO_FRIDAY,
        holidays=public,
        extra_working_days=frozenset(e.date for e in exceptions if e.is_working_day),
        extra_holidays=frozenset(e.date for e in exceptions if not e.is_working_day),
    )


def policy_for(kind: str, severity: int | None) -> ClockPolicy | None:
    """The active policy for this kind at this severity, else the kind's any-severity policy."""
    policies = list(ClockPolicy.objects.filter(kind=kind, active=True).prefetch_related("steps"))
    exact = next((p for p in policies if severity is not None and p.severity == severity), None)
    return exact or next((p for p in policies if p.severity is None), None)


def _target_keys(target) -> dict:
    return {"target_type": ContentType.objects.get_for_model(type(target)), "target_id": target.pk}


def active_clock(target, kind: str) -> Clock | None:
    return Clock.objects.filter(ACTIVE, **_target_keys(target), kind=kind).first()


def _schedule(clock: Clock, steps) -> None:
    _actions, next_at = rules.actions_due(
        now=clock.started_at,
        due_at=clock.due_at,
        remind_at=clock.remind_at,
        reminded=clock.reminded,
        escalation_level=clock.escalation_level,
        steps=steps,
    )
    clock.next_action_at = next_at


def _steps(policy: ClockPolicy | None) -> list[tuple[int, tuple, int]]:
    if policy is None:
        return []
    return [(s.position, tuple(s.roles), s.delay_minutes) for s in policy.steps.all()]


def clock_start(
    *,
    target,
    kind: str,
    label: str,
    started_at: datetime,
    actor=None,
    owner=None,
    owner_role: str = "",
    severity: int | None = None,
    due_at: datetime | None = None,
    restart: bool = False,
    reason: str = "",
) -> Clock | None:
    """Start a clock on ``target`` (or keep the running one). Returns None when no policy applies.

    ``restart`` ends the running clock of that kind (not applicable, with ``reason``) and starts
    it again from ``started_at`` — what a severity change does to severity-dependent clocks.
    """
    existing = active_clock(target, kind)
    if existing is not None:
        if not restart:
            return existing
        clock_cancel(target=target, kind=kind, reason=reason or "restarted", actor=actor)
    policy = policy_for(kind, severity)
    if due_at is None:
        if policy is None:
            return None
        due_at = rules.add_duration(started_at, policy.amount, policy.unit, calendar_rules())
    clock = Clock(
        **_target_keys(target),
        kind=kind,
        label=label,
        policy=policy,
        severity=severity,
        started_at=started_at,
        due_at=due_at,
        owner=owner,
        owner_role=owner_role,
        remind_at=rules.reminder_time(
            started_at, due_at, policy.remind_before_minutes if policy else 30
        ),
    )
    _schedule(clock, _steps(policy))
    return model_save(clock, actor=actor)


def clock_met(*, target, kind: str, at: datetime, actor=None) -> Clock | None:
    """The clock's goal was reached at ``at``: met when on time, breached-and-completed when late."""
    clock = active_clock(target, kind)
    if clock is None:
        return None
    clock.met_at = at
    clock.state = ClockState.MET if at <= clock.due_at else ClockState.BREACHED
    clock.next_action_at = None
    clock.ended_reason = "" if at <= clock.due_at else "completed late"
    return model_save(clock, actor=actor)


def clock_cancel(*, target, kind: str, reason: str, actor=None) -> Clock | None:
    clock = active_clock(target, kind)
    if clock is None:
        return None
    clock.state = ClockState.NOT_APPLICABLE
    clock.next_action_at = None
    clock.ended_reason = reason[:300]
    return model_save(clock, actor=actor)


def clocks_of(target):
    return (
        Clock.objects.filter(**_target_keys(target))
        .select_related("owner")
        .order_by("due_at", "id")
    )


def recipients(clock: Clock, roles) -> list:
    """The people a step names: the clock's owner, pseudo-roles resolved by the target's module,
    and everyone active in a real role."""
    User = get_user_model()
    people: dict[int, object] = {}
    handler = target_for(clock.target_type.model_class())
    real_roles = []
    for role in roles:
        if role == CLOCK_OWNER:
            if clock.owner_id:
                people[clock.owner_id] = clock.owner
            elif clock.owner_role:
                real_roles.append(clock.owner_role)
        elif handler and role in ("system_owner", "incident_lead"):
            for user in handler.resolve_role(clock.target, role):
                people[user.pk] = user
        else:
            real_roles.append(role)
    if real_roles:
        for user in User.objects.filter(is_active=True, groups__name__in=real_roles).distinct():
            people[user.pk] = user
    return sorted(people.values(), key=lambda u: u.pk)


@dataclass
class TickResult:
    reminders: int = 0
    escalations: int = 0
    breached: int = 0
    clocks_checked: int = 0
    attempt_ids: list = field(default_factory=list)


def clocks_tick(*, now: datetime | None = None) -> TickResult:
    """One beat tick: every clock whose next action is due gets its reminders and escalations.

    Nothing due costs one indexed query. Each (clock, step, recipient) becomes one delivery row
    (unique in the database), so two ticks at once, a retried task or a restarted beat never
    tell anybody twice.
    """
    from aims.notify.services import delivery_create

    now = now or timezone.now()
    result = TickResult()
    due_ids = list(
        Clock.objects.filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("id", flat=True)[:TICK_BATCH]
    )
    if not due_ids:
        return result
    for clock_id in due_ids:
        _tick_one(clock_id, now, result, delivery_create)
    return result


@audited_write
def _tick_one(clock_id, now, result: TickResult, delivery_create) -> None:
    clock = (
        Clock.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("policy", "owner", "target_type")
        .filter(pk=clock_id, next_action_at__lte=now)
        .first()
    )
    if clock is None:
        return
    result.clocks_checked += 1
    steps = _steps(clock.policy)
    actions, next_at = rules.actions_due(
        now=now,
        due_at=clock.due_at,
        remind_at=clock.remind_at,
        reminded=clock.reminded,
        escalation_level=clock.escalation_level,
        steps=steps,
    )
    target = clock.target
    handler = target_for(clock.target_type.model_class())
    title_base, url = (
        handler.describe(target) if handler and target is not None else (clock.label, "")
    )
    if clock.state == ClockState.RUNNING and now >= clock.due_at:
        clock.state = ClockState.BREACHED
        result.breached += 1
    for action in actions:
        if action.position == 0:
            title = f"Reminder: {clock.label} due {clock.due_at:%Y-%m-%d %H:%M %Z} — {title_base}"
            clock.reminded = True
        else:
            title = f"Escalation: {clock.label} overdue since {clock.due_at:%Y-%m-%d %H:%M %Z} — {title_base}"
            clock.escalation_level = max(clock.escalation_level, action.position)
        body = (
            f"{clock.label} for {title_base} started {clock.started_at:%Y-%m-%d %H:%M %Z} and "
            f"{'is due' if action.position == 0 else 'was due'} {clock.due_at:%Y-%m-%d %H:%M %Z}."
        )
        for person in recipients(clock, action.roles):
            created, attempt_ids = delivery_create(
                clock=clock,
                step_key=action.step_key,
                recipient=person,
                kind="reminder" if action.position == 0 else "escalation",
                title=title,
                body=body,
                url=url,
                now=now,
            )
            if created:
                result.attempt_ids.extend(attempt_ids)
                if action.position == 0:
                    result.reminders += 1
                else:
                    result.escalations += 1
    clock.next_action_at = next_at
    model_save(clock, actor=None, validate=False)


def tick_and_queue(*, now: datetime | None = None) -> TickResult:
    """The beat's entry point: tick, then hand new deliveries to workers after commit."""
    from aims.notify.services import queue_attempts

    result = clocks_tick(now=now)
    if result.attempt_ids:
        transaction.on_commit(lambda: queue_attempts(result.attempt_ids))
    return result
