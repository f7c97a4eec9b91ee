"""What PagerDuty tells the register about its pages: webhooks v3, on the incident's timeline.

Off unless ``PAGERDUTY_WEBHOOK_SECRET`` is set. The signature (``X-PagerDuty-Signature``) is
checked over the raw body before anything is parsed or written; the event is matched to an
incident by ``data.incident_key`` — the ``dedup_key`` the register paged with, its reference —
and recorded once per event id, so a redelivered webhook adds nothing.

An incident that is not the register's (PagerDuty services carry pages of other tools too),
or an event about something other than an incident, is answered 202 and ignored: PagerDuty
retries and eventually disables a subscription whose deliveries fail, which would silence the
register's own events.
"""

import json

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from aims.core.exceptions import NotFound, SignatureInvalid, ValidationFailed
from aims.core.services import audited_write, model_save
from aims.notify.pagers import pagerduty_signature_valid

from .. import events
from ..models import Incident, PagerWebhookEvent

MAX_EVENT_ID = 100
MAX_TEXT = 300


def _text(value, limit: int = MAX_TEXT) -> str:
    return str(value)[:limit] if isinstance(value, str | int) else ""


def _parse(body: bytes) -> dict:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(
            _("The body is not valid JSON: %s") % exc, fields={"body": ["malformed"]}
        ) from exc
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise ValidationFailed(
            _('A PagerDuty webhook v3 body is {"event": {…}}; this one has no "event" object.'),
            fields={"event": ["required"]},
        )
    event_id, event_type = event.get("id"), event.get("event_type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > MAX_EVENT_ID:
        raise ValidationFailed(
            _("event.id must be the event's id, a string of 1 to %d characters.") % MAX_EVENT_ID,
            fields={"event.id": ["invalid"]},
        )
    if not isinstance(event_type, str) or not event_type:
        raise ValidationFailed(
            _("event.event_type must name the event, e.g. incident.acknowledged."),
            fields={"event.event_type": ["invalid"]},
        )
    if event.get("data") is not None and not isinstance(event.get("data"), dict):
        raise ValidationFailed(
            _("event.data must be an object."), fields={"event.data": ["invalid"]}
        )
    return event


def pagerduty_webhook_receive(*, body: bytes, signature: str) -> dict:
    """Verify, parse and record one PagerDuty webhook. Returns ``{"status", "incident",
    "detail"}`` with status ``recorded``, ``duplicate`` or ``ignored``."""
    secret = getattr(settings, "PAGERDUTY_WEBHOOK_SECRET", "")
    if not secret:
        raise NotFound(_("PagerDuty webhooks are not enabled here: set PAGERDUTY_WEBHOOK_SECRET."))
    if not pagerduty_signature_valid(secret=secret, body=body, header=signature or ""):
        raise SignatureInvalid(
            _(
                "The X-PagerDuty-Signature header is missing or matches no v1 signature of "
                "this body: check the subscription's signing secret."
            )
        )
    event = _parse(body)
    data = event.get("data") or {}
    if event.get("resource_type") != "incident" or data.get("type") != "incident":
        return {"status": "ignored", "incident": None, "detail": _("Not an incident event.")}
    key = data.get("incident_key")
    incident = (
        Incident.objects.filter(reference=key).first() if isinstance(key, str) and key else None
    )
    if incident is None:
        return {
            "status": "ignored",
            "incident": None,
            "detail": _("No incident of this register has this incident_key."),
        }
    return _record(incident=incident, event=event, data=data)


@audited_write
def _record(*, incident, event, data) -> dict:
    # The audit-chain lock serializes writers: a redelivery racing the first is seen here.
    if PagerWebhookEvent.objects.filter(event_id=event["id"]).exists():
        return {
            "status": "duplicate",
            "incident": incident.reference,
            "detail": _("This event was recorded already."),
        }
    agent = event.get("agent") if isinstance(event.get("agent"), dict) else {}
    occurred = event.get("occurred_at")
    occurred_at = parse_datetime(occurred) if isinstance(occurred, str) else None
    html_url = _text(data.get("html_url"), 500)
    model_save(
        PagerWebhookEvent(
            event_id=event["id"],
            event_type=_text(event["event_type"], 60),
            incident=incident,
            occurred_at=occurred_at if occurred_at and occurred_at.tzinfo else None,
            received_at=timezone.now(),
        ),
        actor=None,
        lookups=False,
    )
    events.pager_webhook_event(
        incident=incident,
        event_type=event["event_type"],
        agent=_text(agent.get("summary"), 100),
        data={
            "pagerduty_event": event["id"],
            "event_type": _text(event["event_type"], 60),
            "occurred_at": _text(occurred, 40),
            "pagerduty_status": _text(data.get("status"), 30),
            "pagerduty_incident": _text(data.get("id"), 40),
            "html_url": html_url if html_url.startswith("https://") else "",
        },
    )
    return {"status": "recorded", "incident": incident.reference, "detail": ""}
