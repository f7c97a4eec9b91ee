"""Sending over e-mail and webhooks. Each function raises ``ChannelError`` on failure.

A webhook endpoint speaks one format: a Slack incoming webhook (a Block Kit message), a
Microsoft Teams workflow webhook ("When a Teams webhook request is received": a message with
one Adaptive Card attachment), or the generic JSON body. The chat cards show the record's
reference, title, severity, status and system (as its module registers them with the clock
mechanism, ``ClockTarget.card``), the deadline, and a button back to the record.
"""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from aims.clocks.registry import target_for

from .choices import WebhookFormat

WEBHOOK_TIMEOUT_SECONDS = 10


class ChannelError(Exception):
    pass


def absolute(url: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


def send_email(*, delivery) -> None:
    if not delivery.recipient.email:
        raise ChannelError("recipient has no e-mail address")
    message = EmailMessage(
        subject=delivery.title[:200],
        body=f"{delivery.body}\n\n{absolute(delivery.url)}\n",
        to=[delivery.recipient.email],
        headers={"X-AIMS-Delivery": str(delivery.pk)},
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any SMTP/backend failure is a failed attempt
        raise ChannelError(f"e-mail failed: {exc}") from exc


# Slack's published limits for the blocks used here (api.slack.com/reference/block-kit).
SLACK_HEADER_MAX = 150
SLACK_SECTION_TEXT_MAX = 3000
SLACK_FIELD_MAX = 2000
SLACK_BUTTON_TEXT_MAX = 75
SLACK_URL_MAX = 3000
ADAPTIVE_CARD_VERSION = "1.4"  # what Teams renders in channels and chats
OPEN_LABEL = "Open in AIMS Register"


def _clip(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_facts(delivery) -> dict:
    """What a chat card shows: title, body, the record's facts, the deadline and the link."""
    clock = delivery.clock
    handler = target_for(clock.target_type.model_class())
    record = clock.target
    facts = handler.card(record) if handler and handler.card and record is not None else {}
    due = timezone.localtime(clock.due_at)
    return {
        "title": delivery.title,
        "body": delivery.body,
        "facts": [
            (label, value)
            for label, value in (
                ("Reference", facts.get("reference", "")),
                ("Severity", facts.get("severity", "")),
                ("Status", facts.get("status", "")),
                ("System", facts.get("system", "")),
                ("Incidents", facts.get("incidents", "")),
                ("Deadline", f"{due:%Y-%m-%d %H:%M} {due.tzname()}"),
            )
            if value
        ],
        "deadline": clock.due_at,
        "url": absolute(delivery.url),
    }


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters (&, <, >) as entities, so text cannot form links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(card: dict) -> dict:
    """A Block Kit message: header, body, the facts as fields, a button to the record. The
    top-level ``text`` is what Slack shows in notifications and where blocks cannot render."""
    fields = []
    for label, value in card["facts"]:
        shown = _slack_escape(value)
        if label == "Deadline":
            stamp = int(card["deadline"].timestamp())
            shown = f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{shown}>"
        fields.append({"type": "mrkdwn", "text": _clip(f"*{label}*\n{shown}", SLACK_FIELD_MAX)})
    blocks = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(card["title"], SLACK_HEADER_MAX)},
        }
    ]
    if card["body"].strip():
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _clip(_slack_escape(card["body"]), SLACK_SECTION_TEXT_MAX),
                },
            }
        )
    if fields:
        blocks.append({"type": "section", "fields": fields[:10]})
    if card["url"].startswith(("http://", "https://")) and len(card["url"]) <= SLACK_URL_MAX:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": OPEN_LABEL},
                        "url": card["url"],
                        "action_id": "open_record",
                    }
                ],
            }
        )
    return {"text": _clip(card["title"], SLACK_SECTION_TEXT_MAX), "blocks": blocks}


def teams_message(card: dict) -> dict:
    """A message with one Adaptive Card, as a Teams workflow webhook takes it."""
    body = [
        {
            "type": "TextBlock",
            "text": card["title"],
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if card["body"].strip():
        body.append({"type": "TextBlock", "text": card["body"], "wrap": True})
    if card["facts"]:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in card["facts"]],
            }
        )
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if card["url"].startswith(("http://", "https://")):
        content["actions"] = [{"type": "Action.OpenUrl", "title": OPEN_LABEL, "url": card["url"]}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": content,
            }
        ],
    }


def webhook_body(*, delivery, endpoint) -> bytes:
    if endpoint.format == WebhookFormat.SLACK:
        payload = slack_message(card_facts(delivery))
    elif endpoint.format == WebhookFormat.TEAMS:
        payload = teams_message(card_facts(delivery))
    else:
        payload = {
            "delivery_id": delivery.pk,
            "kind": delivery.kind,
            "step": delivery.step_key,
            "title": delivery.title,
            "body": delivery.body,
            "url": absolute(delivery.url),
            "recipient": delivery.recipient.username,
            "clock": {
                "id": delivery.clock_id,
                "kind": delivery.clock.kind,
                "due_at": delivery.clock.due_at.isoformat(),
            },
        }
    return json.dumps(payload).encode()


def send_webhook(*, delivery, endpoint) -> None:
    body = webhook_body(delivery=delivery, endpoint=endpoint)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"aims-delivery-{delivery.pk}-{endpoint.pk}",
    }
    if endpoint.secret:
        signature = hmac.new(endpoint.secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-AIMS-Signature"] = f"sha256={signature}"
    request = urllib.request.Request(endpoint.url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise ChannelError(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"webhook answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"webhook unreachable: {exc}") from exc
