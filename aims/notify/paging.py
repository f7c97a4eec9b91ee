"""Paging an on-call tool (PagerDuty, Opsgenie) about a record, and sending the pages.

A module whose records page registers them once (``register_page_target``, in its
``AppConfig.ready``): how to describe a record for a page (``facts``) and what to write on the
record after each attempt (``record``). It then calls ``page`` from its own services — a P0
incident filed, triaged, contained — inside their transaction; escalation steps page through
``page_for_delivery``. Either way a ``PageEvent`` row per paging service is written and handed
to a worker after commit: no request ever waits on the vendor.

Order per (service, key): an event is sent only when every earlier event of the same service
and key has been sent or has given up, and an acknowledge or resolve whose trigger never got
through is skipped (there is nothing on the other side to acknowledge). A worker claims an
event with ``SKIP LOCKED``; failures are retried with the delivery channels' back-off, an event
whose worker died is taken again once its lease runs out.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from aims.core.queueing import hand_to_worker
from aims.core.services import audited_write, model_save

from . import pagers
from .channels import ChannelError
from .choices import AttemptStatus, PageAction
from .models import PageEvent, PagingService

logger = logging.getLogger(__name__)
UNFINISHED = (AttemptStatus.PENDING, AttemptStatus.SENDING)


@dataclass(frozen=True)
class PageTarget:
    # ``facts(record)`` -> {"dedup_key", "summary", "severity" (0-3 or None), "source",
    # "timestamp", "component", "group", "class", "description", "tags", "details",
    # "links": [(url, text)], "exercise": bool}
    facts: Callable
    # ``record(record, event)``: write the attempt's result on the record (its timeline).
    record: Callable | None = None


_TARGETS: dict[str, PageTarget] = {}


def register_page_target(model, target: PageTarget) -> None:
    _TARGETS[model._meta.label_lower] = target


def page_target_for(model) -> PageTarget | None:
    return _TARGETS.get(model._meta.label_lower)


def _services_for(*, action, dedup_key, exercise):
    qs = PagingService.objects.filter(active=True)
    if action != PageAction.TRIGGER:
        # Acknowledge and resolve follow every trigger made for the key, however it started
        # (an escalation, the lifecycle, an exercise on a service that takes exercises).
        return list(
            qs.filter(
                Exists(
                    PageEvent.objects.filter(
                        service=OuterRef("pk"), dedup_key=dedup_key, action=PageAction.TRIGGER
                    ).exclude(status__in=[AttemptStatus.FAILED, AttemptStatus.SKIPPED])
                )
            )
        )
    if exercise:
        qs = qs.filter(page_exercises=True)
    return list(qs.filter(page_incidents=True))


def _make(*, services, target, action, dedup_key, facts, cause, now) -> list[PageEvent]:
    content_type = ContentType.objects.get_for_model(type(target)) if target is not None else None
    made = []
    for service in services:
        event = PageEvent(
            service=service,
            action=action,
            dedup_key=dedup_key,
            target_type=content_type,
            target_id=target.pk if target is not None else None,
            cause=cause[:120],
            payload=pagers.page_body(
                vendor=service.vendor, action=action, dedup_key=dedup_key, facts=facts
            ),
            next_try_at=now,
            created_at=now,
        )
        made.append(model_save(event, actor=None, validate=False))
    if made:
        ids = [e.pk for e in made]
        transaction.on_commit(lambda: queue_pages(ids))
    return made


def page(
    *,
    target,
    action: str,
    cause: str,
    dedup_key: str,
    exercise: bool = False,
    facts: dict | None = None,
    now=None,
) -> list:
    """Queue ``action`` for ``target`` on the paging services that take it: a trigger goes to
    those paging on the lifecycle (``page_incidents``), an acknowledge or resolve to every
    service a trigger for ``dedup_key`` went to. Call inside the caller's transaction; the
    record is described (``PageTarget.facts``) only when some service is to be paged."""
    handler = page_target_for(type(target))
    if handler is None:
        raise ValueError(f"{type(target).__name__} is not registered as a page target")
    services = _services_for(action=action, dedup_key=dedup_key, exercise=exercise)
    if not services:
        return []
    facts = {**handler.facts(target), **(facts or {}), "dedup_key": dedup_key}
    return _make(
        services=services,
        target=target,
        action=action,
        dedup_key=dedup_key,
        facts=facts,
        cause=cause,
        now=now or timezone.now(),
    )


def page_for_delivery(*, delivery, recipient, roles, now) -> list:
    """An escalation reached ``recipient``: trigger the paging services attached to them (or
    to one of their roles), once per clock step and service, whoever else the step reaches."""
    clock = delivery.clock
    handler = page_target_for(clock.target_type.model_class())
    if handler is None:
        return []
    services = list(
        PagingService.objects.filter(
            Q(user=recipient) | Q(role__in=list(roles), user__isnull=True), active=True
        )
    )
    target = clock.target if services else None
    if target is None:
        return []
    facts = {**handler.facts(target), "summary": delivery.title}
    if facts.get("exercise"):
        services = [s for s in services if s.page_exercises]
    cause = f"escalation:{clock.pk}:{delivery.step_key}"
    already = set(
        PageEvent.objects.filter(cause=cause, service__in=services).values_list(
            "service_id", flat=True
        )
    )
    return _make(
        services=[s for s in services if s.pk not in already],
        target=target,
        action=PageAction.TRIGGER,
        dedup_key=facts["dedup_key"],
        facts=facts,
        cause=cause,
        now=now,
    )


# --- sending ------------------------------------------------------------------------------------


def _due(now):
    from .services import LEASE

    earlier = PageEvent.objects.filter(
        service=OuterRef("service"),
        dedup_key=OuterRef("dedup_key"),
        id__lt=OuterRef("id"),
        status__in=UNFINISHED,
    )
    return (
        PageEvent.objects.filter(
            Q(status=AttemptStatus.PENDING, next_try_at__lte=now)
            | Q(status=AttemptStatus.SENDING, claimed_at__lt=now - LEASE)
        )
        .annotate(blocked=Exists(earlier))
        .filter(blocked=False)
    )


def _record(event: PageEvent) -> None:
    if event.target_type_id is None:
        return
    model = event.target_type.model_class()
    handler = page_target_for(model) if model is not None else None
    target = model._default_manager.filter(pk=event.target_id).first() if handler else None
    if handler and handler.record and target is not None:
        handler.record(target, event)


@audited_write
def _claim(event_id: int, now) -> PageEvent | None:
    event = (
        _due(now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("service", "target_type")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return None
    if (
        event.action != PageAction.TRIGGER
        and not PageEvent.objects.filter(
            service=event.service_id,
            dedup_key=event.dedup_key,
            action=PageAction.TRIGGER,
            status=AttemptStatus.SENT,
            id__lt=event.pk,
        ).exists()
    ):
        event.status, event.next_try_at = AttemptStatus.SKIPPED, None
        event.last_error = "no trigger for this key reached the service"
        model_save(event, actor=None, validate=False)
        _record(event)
        return None
    event.tries += 1
    event.claimed_at = now
    event.status = AttemptStatus.SENDING
    model_save(event, actor=None, validate=False)
    return event


@audited_write
def _finish(event: PageEvent, answer: dict, error: str | None, permanent: bool, now) -> PageEvent:
    from .services import MAX_TRIES, backoff

    event = (
        PageEvent.objects.select_for_update(of=("self",))
        .select_related("service", "target_type")
        .get(pk=event.pk)
    )
    event.response = answer
    if error is None:
        event.status, event.sent_at, event.next_try_at, event.last_error = (
            AttemptStatus.SENT,
            now,
            None,
            "",
        )
    elif permanent or event.tries >= MAX_TRIES:
        event.status, event.next_try_at, event.last_error = AttemptStatus.FAILED, None, error
    else:
        event.status, event.next_try_at, event.last_error = (
            AttemptStatus.PENDING,
            now + backoff(event.tries),
            error,
        )
    model_save(event, actor=None, validate=False)
    _record(event)
    if event.status != AttemptStatus.PENDING:
        # The next event of the key was waiting on this one.
        following = list(
            PageEvent.objects.filter(
                service=event.service_id,
                dedup_key=event.dedup_key,
                id__gt=event.pk,
                status=AttemptStatus.PENDING,
            )
            .order_by("id")
            .values_list("id", flat=True)[:1]
        )
        if following:
            transaction.on_commit(lambda: queue_pages(following))
    return event


def page_event_process(event_id: int, *, now=None) -> str | None:
    """Claim and send one page event. Safe to call twice or from two workers: returns the
    final status, or None when someone else has it or it is not due (or waits its turn)."""
    now = now or timezone.now()
    event = _claim(event_id, now)
    if event is None:
        return PageEvent.objects.filter(pk=event_id).values_list("status", flat=True).first()
    answer, error, permanent = {}, None, False
    try:
        if not event.service.active:
            raise pagers.PermanentPageError("paging service inactive")
        answer = pagers.send_page(service=event.service, event=event)
    except pagers.PermanentPageError as exc:
        error, permanent = str(exc), True
    except ChannelError as exc:
        error = str(exc)
    if error:
        logger.warning("page event %s failed: %s", event_id, error)
    return _finish(event, answer, error, permanent, now).status


def due_page_ids(*, now=None, limit: int = 500) -> list[int]:
    """Page events a worker should take now: new, due for retry, or abandoned, and first in
    line for their key."""
    now = now or timezone.now()
    return list(_due(now).order_by("id").values_list("id", flat=True)[:limit])


def deliver_due_pages(*, now=None) -> int:
    """Send every due page event in this process, in order (the ``run_clocks`` command, tests).
    Events that were waiting on one sent here go out in the same call."""
    sent = 0
    seen = set()
    while True:
        ids = [i for i in due_page_ids(now=now) if i not in seen]
        if not ids:
            return sent
        for event_id in ids:
            seen.add(event_id)
            page_event_process(event_id, now=now)
            sent += 1


def queue_pages(event_ids) -> None:
    """Hand page events to Celery. A broker that is down loses nothing: the sweep finds them."""
    from .tasks import process_page_event

    for event_id in event_ids:
        if not hand_to_worker(process_page_event, event_id, what="page event"):
            return
