"""Sending over e-mail and webhooks. Each function raises ``ChannelError`` on failure."""

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

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


def webhook_body(*, delivery, endpoint) -> bytes:
    link = absolute(delivery.url)
    if endpoint.format == WebhookFormat.SLACK:
        payload = {
            "text": f"*{delivery.title}*\n{delivery.body}"
            + (f"\n<{link}|Open in AIMS Register>" if link else "")
        }
    else:
        payload = {
            "delivery_id": delivery.pk,
            "kind": delivery.kind,
            "step": delivery.step_key,
            "title": delivery.title,
            "body": delivery.body,
            "url": link,
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
