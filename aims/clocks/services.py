"""Starting, meeting and ending clocks; the beat tick that reminds and escalates.

Modules call ``clock_start`` / ``clock_met`` / ``clock_cancel`` / ``clocks_reassign`` from their
own services, in the same transaction as the change that starts or stops the clock; a module that
derives several clocks from one record reads them once with ``record_clocks`` and works on that.
No other app writes clock rows. The tick (``clocks_tick``) finds
what is due with one indexed query on ``next_action_at`` and creates each (clock, step,
recipient) delivery once — the unique constraint on deliveries is the guarantee.
"""

import functools
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.aggregates import ArrayAgg, JSONBAgg
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Value
from django.db.models.functions import JSONObject
from django.utils import timezone

from aims.core.services import (
    audited_write,
    model_bulk_create,
    model_bulk_update,
    model_save,
    validation_failed_from,
)

from . import rules
from .choices import ACTIVE, ACTIVE_STATES, CLOCK_OWNER, ClockState, DurationUnit
from .models import BusinessCalendar, Clock, ClockPolicy
from .registry import target_for, validate_kind

logger = logging.getLogger(__name__)
TICK_BATCH = 500


# --- policy data, read once per transaction --------------------------------------------------
#
# Policies, escalation steps and the business calendar are data GRC edits in the admin. A write
# that starts several clocks reads them once: they are kept for the rest of the current
# transaction (never across transactions, so an edit committed elsewhere takes effect at the
# next one) and forgotten at once when this process saves or deletes one of them. The public
# holidays of a country come from the ``holidays`` package, not the database: they are built
# once per process.


class _TransactionMemo:
    """Values kept until the current transaction ends.

    Validity is tied to an ``on_commit`` marker: Django drops the callbacks of a transaction
    when it commits or rolls back (or when a savepoint that registered them rolls back), so a
    memo whose marker is gone belongs to a transaction that is over.
    """

    def __init__(self):
        self.values: dict = {}

    def __call__(self):  # run at commit: nothing to keep afterwards
        self.values.clear()


_local = threading.local()


def _memo() -> dict | None:
    if not connection.in_atomic_block:
        return None
    memo = getattr(_local, "memo", None)
    if memo is None or not any(entry[1] is memo for entry in connection.run_on_commit):
        memo = _TransactionMemo()
        transaction.on_commit(memo)
        _local.memo = memo
    return memo.values


def _remembered(key: str, load):
    memo = _memo()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def forget_policy_data(**_kwargs) -> None:
    """Drop what this transaction remembered of policies and the calendar (signal receiver)."""
    memo = getattr(_local, "memo", None)
    if memo is not None:
        memo.values.clear()


@functools.lru_cache(maxsize=16)
def _public_holidays(country: str, subdivision: str):
    return holidays_lib.country_holidays(country, subdiv=subdivision or None)


def _exception_dates(working: bool) -> ArrayAgg:
    return ArrayAgg(
        "exceptions__date", filter=Q(exceptions__is_working_day=working), default=Value([])
    )


def _load_calendar_rules() -> rules.CalendarRules:
    # The calendar and its exception days in one query.
    calendar = (
        BusinessCalendar.objects.filter(active=True)
        .annotate(working_days=_exception_dates(True), days_off=_exception_dates(False))
        .order_by("pk")
        .first()
    )
    if calendar is None:
        return rules.CalendarRules()
    return rules.CalendarRules(
        tz=ZoneInfo(calendar.time_zone),
        working_weekdays=frozenset(calendar.working_weekdays) or rules.MONDAY_TO_FRIDAY,
        holidays=_public_holidays(calendar.country, calendar.subdivision),
        extra_working_days=frozenset(calendar.working_days),
        extra_holidays=frozenset(calendar.days_off),
    )


def calendar_rules() -> rules.CalendarRules:
    """The active business calendar as plain rules (public holidays from the ``holidays`` package)."""
    return _remembered("calendar", _load_calendar_rules)


def _active_policies() -> dict[str, list[ClockPolicy]]:
    def load():
        found: dict[str, list[ClockPolicy]] = {}
        # Each policy with its escalation steps, in one query.
        steps = JSONBAgg(
            JSONObject(
                position="steps__position", roles="steps__roles", delay="steps__delay_minutes"
            ),
            filter=Q(steps__isnull=False),
            order_by="steps__position",
            default=Value("[]"),
        )
        for policy in (
            ClockPolicy.objects.filter(active=True)
            .annotate(step_rows=steps)
            .order_by("kind", "severity")
        ):
            found.setdefault(policy.kind, []).append(policy)
        return found

    return _remembered("policies", load)


def policy_for(kind: str, severity: int | None) -> ClockPolicy | None:
    """The active policy for this kind at this severity, else the kind's any-severity policy."""
    policies = _active_policies().get(kind, [])
    exact = next((p for p in policies if severity is not None and p.severity == severity), None)
    return exact or next((p for p in policies if p.severity is None), None)


def due_time(started_at: datetime, policy: ClockPolicy) -> datetime:
    """When a clock of this policy started at ``started_at`` is due. The calendar is read only
    for business days."""
    calendar = (
        calendar_rules() if policy.unit == DurationUnit.BUSINESS_DAYS else rules.CalendarRules()
    )
    return rules.add_duration(started_at, policy.amount, policy.unit, calendar)


# --- one record's clocks ----------------------------------------------------------------------


def _target_keys(target) -> dict:
    return {"target_type": ContentType.objects.get_for_model(type(target)), "target_id": target.pk}


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
    rows = getattr(policy, "step_rows", None)  # read with the policy (``_active_policies``)
    if rows is not None:
        return [(s["position"], tuple(s["roles"]), s["delay"]) for s in rows]
    return [(s.position, tuple(s.roles), s.delay_minutes) for s in policy.steps.all()]


# What meeting, ending and handing over change on a saved clock.
CHANGED_FIELDS = ("state", "met_at", "next_action_at", "ended_reason", "owner", "owner_role")


def _save(clock: Clock, actor) -> Clock:
    # Clocks are built here from records and policies that are already valid; the database
    # constraints (one active clock per kind) decide the rest. Model validation would only add
    # look-ups.
    return model_save(clock, actor=actor, validate=False)


def _check_kind(kind: str) -> None:
    try:
        validate_kind(kind)  # the one model check kept: only registered kinds run
    except ValidationError as exc:
        raise validation_failed_from(exc) from exc


def _new_clock(
    keys: dict,
    *,
    kind: str,
    label: str,
    started_at: datetime,
    owner=None,
    owner_role: str = "",
    severity: int | None = None,
    due_at: datetime | None = None,
) -> Clock | None:
    """A clock ready to save, scheduled by its policy; None when no policy applies and no due
    time is given."""
    _check_kind(kind)
    policy = policy_for(kind, severity)
    if due_at is None:
        if policy is None:
            return None
        due_at = due_time(started_at, policy)
    clock = Clock(
        **keys,
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
    return clock


class RecordClocks:
    """Every clock of one record, read in one query, and the writes that keep them.

    A module that derives several clocks from its record (``incidents.clocks.sync_clocks``)
    reads them once, decides in Python and writes only what changes. ``known_empty`` is for a
    record created in this transaction: it has no clocks yet, so there is nothing to read.

    ``batched`` keeps the writes until ``flush``: then the changed clocks are saved in one
    UPDATE and the new ones in one INSERT (each with its history), however many changed. Ended
    clocks are written before new ones, so a restarted kind never has two active clocks.
    """

    def __init__(self, target, *, known_empty: bool = False, batched: bool = False):
        self.target = target
        self.keys = _target_keys(target)
        self.clocks: list[Clock] = (
            [] if known_empty else list(Clock.objects.filter(**self.keys).order_by("id"))
        )
        self.batched = batched
        self._pending: dict[int, tuple[Clock, object]] = {}

    def _write(self, clock: Clock, actor) -> Clock:
        if not self.batched:
            return _save(clock, actor)
        self._pending[id(clock)] = (clock, actor)
        return clock

    def flush(self) -> None:
        """Save what a batched book kept (see the class)."""
        pending, self._pending = list(self._pending.values()), {}
        by_actor: dict = {}
        for clock, actor in pending:
            by_actor.setdefault(actor, ([], []))[clock.pk is None].append(clock)
        for actor, (changed, _new) in by_actor.items():
            model_bulk_update(changed, actor=actor, fields=CHANGED_FIELDS, validate=False)
        for actor, (_changed, new) in by_actor.items():
            model_bulk_create(new, actor=actor, validate=False)

    def active(self, kind: str) -> Clock | None:
        return next(
            (
                c
                for c in self.clocks
                if c.kind == kind and c.state in ACTIVE_STATES and c.met_at is None
            ),
            None,
        )

    def met(self, kind: str, *, severity_at_most: int | None = None) -> bool:
        """A clock of this kind reached its goal (at this severity or a more severe one)."""
        return any(
            c.kind == kind
            and c.met_at is not None
            and (
                severity_at_most is None
                or (c.severity is not None and c.severity <= severity_at_most)
            )
            for c in self.clocks
        )

    def start(
        self,
        *,
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
        """Start a clock (or keep the running one). Returns None when no policy applies.

        ``restart`` ends the running clock of that kind (not applicable, with ``reason``) and
        starts it again from ``started_at`` — what a severity change does to severity-dependent
        clocks.
        """
        _check_kind(kind)
        existing = self.active(kind)
        if existing is not None:
            if not restart:
                return existing
            self.cancel(kind=kind, reason=reason or "restarted", actor=actor)
        clock = _new_clock(
            self.keys,
            kind=kind,
            label=label,
            started_at=started_at,
            owner=owner,
            owner_role=owner_role,
            severity=severity,
            due_at=due_at,
        )
        if clock is None:
            return None
        self._write(clock, actor)
        self.clocks.append(clock)
        return clock

    def meet(self, *, kind: str, at: datetime, actor=None) -> Clock | None:
        """The goal was reached at ``at``: met when on time, breached-and-completed when late."""
        clock = self.active(kind)
        if clock is None:
            return None
        clock.met_at = at
        clock.state = ClockState.MET if at <= clock.due_at else ClockState.BREACHED
        clock.next_action_at = None
        clock.ended_reason = "" if at <= clock.due_at else "completed late"
        return self._write(clock, actor)

    def cancel(self, *, kind: str, reason: str, actor=None) -> Clock | None:
        clock = self.active(kind)
        if clock is None:
            return None
        clock.state = ClockState.NOT_APPLICABLE
        clock.next_action_at = None
        clock.ended_reason = reason[:300]
        return self._write(clock, actor)

    def reassign(self, *, kinds, owner, actor=None) -> list[Clock]:
        """Hand the active clocks of these kinds to ``owner`` (a person: no role owns them then)."""
        changed = []
        for clock in self.clocks:
            if clock.kind in kinds and clock.state in ACTIVE_STATES and clock.met_at is None:
                if clock.owner_id == getattr(owner, "pk", None) and not clock.owner_role:
                    continue
                clock.owner, clock.owner_role = owner, ""
                changed.append(self._write(clock, actor))
        return changed


def record_clocks(target, *, known_empty: bool = False, batched: bool = False) -> RecordClocks:
    return RecordClocks(target, known_empty=known_empty, batched=batched)


def active_clock(target, kind: str) -> Clock | None:
    return Clock.objects.filter(ACTIVE, **_target_keys(target), kind=kind).first()


def clock_start(*, target, **kwargs) -> Clock | None:
    """Start one clock on ``target`` (see ``RecordClocks.start``)."""
    return RecordClocks(target).start(**kwargs)


def clock_met(*, target, kind: str, at: datetime, actor=None) -> Clock | None:
    """The clock's goal was reached at ``at``: met when on time, breached-and-completed when late."""
    return RecordClocks(target).meet(kind=kind, at=at, actor=actor)


def clock_cancel(*, target, kind: str, reason: str, actor=None) -> Clock | None:
    return RecordClocks(target).cancel(kind=kind, reason=reason, actor=actor)


def clocks_reassign(*, target, kinds, owner, actor=None) -> list[Clock]:
    """Give the record's active clocks of ``kinds`` to ``owner`` — e.g. a new incident lead
    taking over what the former lead (or GRC, for want of one) owned. Called by the record's
    own service, in its transaction; returns the clocks that changed hands."""
    return RecordClocks(target).reassign(kinds=frozenset(kinds), owner=owner, actor=actor)


# --- many records' clocks at once ---------------------------------------------------------------
#
# A module that keeps one clock on each of many records (disclosure: one per owed obligation)
# reads them with one query and writes them with one statement per change, whatever their number.


def active_clocks_of(targets, kind: str) -> dict[int, Clock]:
    """The active clock of ``kind`` of each target (all of one model), by target id."""
    targets = list(targets)
    if not targets:
        return {}
    found = Clock.objects.filter(
        ACTIVE,
        target_type=ContentType.objects.get_for_model(type(targets[0])),
        target_id__in=[t.pk for t in targets],
        kind=kind,
    )
    return {clock.target_id: clock for clock in found}


def clocks_cancel_many(ends, *, actor=None) -> list[Clock]:
    """End clocks as not applicable, each with its reason (``ends``: (clock, reason) pairs):
    one UPDATE, one history INSERT."""
    clocks_ = []
    for clock, reason in ends:
        clock.state, clock.next_action_at = ClockState.NOT_APPLICABLE, None
        clock.ended_reason = reason[:300]
        clocks_.append(clock)
    return model_bulk_update(
        clocks_, actor=actor, fields=["state", "next_action_at", "ended_reason"], validate=False
    )


def clocks_start_many(starts, *, actor=None) -> list[Clock]:
    """Start one clock per entry of ``starts`` (``target`` plus ``RecordClocks.start``'s
    keywords, without ``restart``: end the running ones first with ``clocks_cancel_many``).
    One INSERT for the clocks and one for their history; entries no policy applies to and
    without a due time start nothing."""
    built = []
    for start in starts:
        start = dict(start)
        target = start.pop("target")
        clock = _new_clock(_target_keys(target), **start)
        if clock is not None:
            built.append(clock)
    return model_bulk_create(built, actor=actor, validate=False)


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
        elif handler and role in handler.pseudo_roles:
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
