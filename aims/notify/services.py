"""Creating deliveries and processing their attempts, channel by channel.

Exactly once: a delivery is unique per (clock, step, recipient); an attempt is claimed with a row
lock (``SKIP LOCKED``) before anything is sent, so two workers never send the same attempt. The
inbox item is written in the same transaction that marks its attempt sent. An attempt whose
worker died mid-send is picked up again once its lease runs out; webhooks carry an
``Idempotency-Key`` so receivers can drop that rare repeat.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from aims.clocks.registry import target_for
from aims.core.queueing import hand_to_worker
from aims.core.services import audited_write, model_bulk_update, model_save

from . import channels
from .choices import AttemptStatus, Channel
from .models import Delivery, DeliveryAttempt, Notification, WebhookEndpoint

logger = logging.getLogger(__name__)
MAX_TRIES = 5
LEASE = timedelta(minutes=10)


def backoff(tries: int) -> timedelta:
    """1, 2, 4, 8 … minutes between tries of a failing channel."""
    return timedelta(minutes=2 ** max(tries - 1, 0))


def delivery_create(
    *, clock, step_key, recipient, kind, title, body, url="", now=None
) -> tuple[bool, list[int]]:
    """Create the delivery and one attempt per channel, unless it exists. Returns (created, attempt ids)."""
    if Delivery.objects.filter(clock=clock, step_key=step_key, recipient=recipient).exists():
        return False, []
    now = now or timezone.now()
    try:
        with transaction.atomic():
            delivery = model_save(
                Delivery(
                    clock=clock,
                    step_key=step_key,
                    recipient=recipient,
                    kind=kind,
                    title=title[:300],
                    body=body,
                    url=url[:300],
                    created_at=now,
                ),
                actor=None,
                validate=False,  # the unique constraint decides: IntegrityError below
            )
    except IntegrityError:
        return False, []
    attempts = [DeliveryAttempt(delivery=delivery, channel=Channel.INBOX, next_try_at=now)]
    attempts.append(
        DeliveryAttempt(
            delivery=delivery,
            channel=Channel.EMAIL,
            next_try_at=now,
            status=AttemptStatus.PENDING if recipient.email else AttemptStatus.SKIPPED,
            last_error="" if recipient.email else "no e-mail address",
        )
    )
    roles = list(recipient.groups.values_list("name", flat=True))
    for endpoint in WebhookEndpoint.objects.filter(
        Q(user=recipient) | Q(role__in=roles, user__isnull=True), active=True
    ):
        attempts.append(
            DeliveryAttempt(
                delivery=delivery, channel=Channel.WEBHOOK, endpoint=endpoint, next_try_at=now
            )
        )
    if kind == "escalation":
        from .paging import page_for_delivery

        page_for_delivery(delivery=delivery, recipient=recipient, roles=roles, now=now)
    ids = []
    for attempt in attempts:
        if attempt.status == AttemptStatus.SKIPPED:
            attempt.next_try_at = None
        model_save(attempt, actor=None, validate=False)
        if attempt.status == AttemptStatus.PENDING:
            ids.append(attempt.pk)
    return True, ids


@audited_write
def _claim(attempt_id: int, now) -> DeliveryAttempt | None:
    attempt = (
        DeliveryAttempt.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("delivery__recipient", "delivery__clock", "endpoint")
        .filter(pk=attempt_id)
        .filter(
            Q(status=AttemptStatus.PENDING, next_try_at__lte=now)
            | Q(status=AttemptStatus.SENDING, claimed_at__lt=now - LEASE)
        )
        .first()
    )
    if attempt is None:
        return None
    attempt.tries += 1
    attempt.claimed_at = now
    if attempt.channel == Channel.INBOX:
        delivery = attempt.delivery
        model_save(
            Notification(
                recipient=delivery.recipient,
                delivery=delivery,
                title=delivery.title,
                body=delivery.body,
                url=delivery.url,
                created_at=now,
            ),
            actor=None,
            validate=False,
        )
        attempt.status, attempt.sent_at, attempt.next_try_at = AttemptStatus.SENT, now, None
        model_save(attempt, actor=None, validate=False)
        _record_on_target(attempt)
        return None
    attempt.status = AttemptStatus.SENDING
    model_save(attempt, actor=None, validate=False)
    return attempt


@audited_write
def _finish(attempt: DeliveryAttempt, error: str | None, now) -> DeliveryAttempt:
    attempt = (
        DeliveryAttempt.objects.select_for_update(of=("self",))
        .select_related("delivery__clock", "delivery__recipient", "endpoint")
        .get(pk=attempt.pk)
    )
    if error is None:
        attempt.status, attempt.sent_at, attempt.next_try_at, attempt.last_error = (
            AttemptStatus.SENT,
            now,
            None,
            "",
        )
    elif attempt.tries >= MAX_TRIES:
        attempt.status, attempt.next_try_at, attempt.last_error = AttemptStatus.FAILED, None, error
    else:
        attempt.status, attempt.next_try_at, attempt.last_error = (
            AttemptStatus.PENDING,
            now + backoff(attempt.tries),
            error,
        )
    model_save(attempt, actor=None, validate=False)
    _record_on_target(attempt)
    return attempt


def _record_on_target(attempt: DeliveryAttempt) -> None:
    clock = attempt.delivery.clock
    handler = target_for(clock.target_type.model_class())
    if handler and handler.record_delivery and clock.target is not None:
        handler.record_delivery(clock.target, attempt.delivery, attempt)


def attempt_process(attempt_id: int, *, now=None) -> str | None:
    """Claim and send one attempt. Safe to call twice or from two workers: returns the final
    status, or None when someone else has it or it is not due."""
    now = now or timezone.now()
    attempt = _claim(attempt_id, now)
    if attempt is None:
        return (
            DeliveryAttempt.objects.filter(pk=attempt_id).values_list("status", flat=True).first()
        )
    try:
        if attempt.channel == Channel.EMAIL:
            channels.send_email(delivery=attempt.delivery)
        elif attempt.channel == Channel.WEBHOOK:
            if attempt.endpoint is None or not attempt.endpoint.active:
                raise channels.ChannelError("webhook endpoint removed or inactive")
            channels.send_webhook(delivery=attempt.delivery, endpoint=attempt.endpoint)
        error = None
    except channels.ChannelError as exc:
        error = str(exc)
        logger.warning("delivery attempt %s failed: %s", attempt_id, error)
    return _finish(attempt, error, now).status


def due_attempt_ids(*, now=None, limit: int = 500) -> list[int]:
    """Attempts a worker should take now: new, due for retry, or abandoned by a dead worker."""
    now = now or timezone.now()
    return list(
        DeliveryAttempt.objects.filter(
            Q(status=AttemptStatus.PENDING, next_try_at__lte=now)
            | Q(status=AttemptStatus.SENDING, claimed_at__lt=now - LEASE)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def deliver_due(*, now=None) -> int:
    """Process every due attempt and page event in this process (the ``run_clocks`` command
    and tests)."""
    from .paging import deliver_due_pages

    ids = due_attempt_ids(now=now)
    for attempt_id in ids:
        attempt_process(attempt_id, now=now)
    return len(ids) + deliver_due_pages(now=now)


def queue_attempts(attempt_ids) -> None:
    """Hand attempts to Celery. A broker that is down loses nothing: the next tick finds them."""
    from .tasks import process_attempt

    for attempt_id in attempt_ids:
        if not hand_to_worker(process_attempt, attempt_id, what="delivery attempt"):
            return


@audited_write
def notification_mark_read(*, actor, notification_ids=None) -> int:
    """Mark some (or all) of the actor's unread inbox items read.

    One query finds them, one UPDATE marks them and one INSERT writes their history records,
    chained with the write's others: the cost is the same for one item or a hundred. The
    recipient is the actor and the read time is set here, so there is nothing to validate.
    """
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    now = timezone.now()
    items = list(qs)
    for item in items:
        item.read_at = now
    model_bulk_update(items, actor=actor, fields=["read_at"], validate=False)
    return len(items)
