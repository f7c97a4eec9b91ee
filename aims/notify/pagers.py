"""The two on-call tools' wire formats, as their vendors publish them, and sending one page.

PagerDuty Events API v2: ``POST {base}/v2/enqueue`` with ``routing_key``, ``event_action``
(trigger, acknowledge, resolve) and ``dedup_key``; a trigger adds ``payload`` (``summary`` at
most 1024 characters, ``source``, ``severity`` critical/error/warning/info, ``timestamp``,
``component``, ``group``, ``class``, ``custom_details``), ``links``, ``client`` and
``client_url``. Accepted: 202 ``{"status": "success", "dedup_key": …}``; 400 is an invalid event
(retrying cannot help), 429 and 5xx are retried.

Opsgenie Alert API: ``POST {base}/v2/alerts`` (``message`` ≤ 130, ``alias`` ≤ 512,
``description`` ≤ 15000, ``tags``, ``details``, ``entity``, ``source``, ``priority`` P1–P5),
``POST {base}/v2/alerts/{alias}/acknowledge?identifierType=alias`` and ``…/close?…``, with
``Authorization: GenieKey <key>``. Accepted: 202 with a ``requestId``.

The key never leaves this module except in the request itself: bodies kept on the page event
and errors put on a timeline carry no key.
"""

import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from .channels import ChannelError, absolute
from .choices import PageAction, PagingVendor

PAGE_TIMEOUT_SECONDS = 10
CLIENT = "AIMS Register"

PAGERDUTY_SUMMARY_MAX = 1024
PAGERDUTY_DEDUP_MAX = 255
PAGERDUTY_FIELD_MAX = 255  # source, component, group, class: short names
OPSGENIE_MESSAGE_MAX = 130
OPSGENIE_ALIAS_MAX = 512
OPSGENIE_DESCRIPTION_MAX = 15000
OPSGENIE_ENTITY_MAX = 512
OPSGENIE_SOURCE_MAX = 100
OPSGENIE_TAG_MAX = 50
OPSGENIE_TAGS_MAX = 20
OPSGENIE_USER_MAX = 100
OPSGENIE_DETAILS_MAX = 8000  # the details map, keys and values together

# The register's severity (0 = P0 … 3 = P3) in each vendor's terms.
PAGERDUTY_SEVERITY = {0: "critical", 1: "error", 2: "warning", 3: "info"}
OPSGENIE_PRIORITY = {0: "P1", 1: "P2", 2: "P3", 3: "P4"}


class PermanentPageError(ChannelError):
    """The vendor refused the event itself (a 4xx other than 429): sending it again cannot
    succeed, so it is not retried."""


def _clip(text, limit: int) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _site() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def pagerduty_body(*, action: str, dedup_key: str, facts: dict) -> dict:
    """The Events API v2 event, without ``routing_key`` (added when it is sent)."""
    body = {"event_action": action, "dedup_key": _clip(dedup_key, PAGERDUTY_DEDUP_MAX)}
    if action != PageAction.TRIGGER:
        return body
    details = {k: v for k, v in (facts.get("details") or {}).items() if v not in ("", None)}
    payload = {
        "summary": _clip(facts.get("summary") or dedup_key, PAGERDUTY_SUMMARY_MAX),
        "source": _clip(facts.get("source") or CLIENT, PAGERDUTY_FIELD_MAX),
        "severity": PAGERDUTY_SEVERITY.get(facts.get("severity"), "warning"),
    }
    if facts.get("timestamp"):
        payload["timestamp"] = facts["timestamp"]
    for name in ("component", "group", "class"):
        if facts.get(name):
            payload[name] = _clip(facts[name], PAGERDUTY_FIELD_MAX)
    if details:
        payload["custom_details"] = details
    body["payload"] = payload
    links = [
        {"href": absolute(href), "text": _clip(text, 255)}
        for href, text in facts.get("links", ())
        if absolute(href).startswith(("http://", "https://"))
    ]
    if links:
        body["links"] = links
    body["client"] = CLIENT
    if _site():
        body["client_url"] = _site()
    return body


def _opsgenie_details(details: dict) -> dict:
    """Opsgenie's details are a map of strings, at most 8000 characters together."""
    out, used = {}, 0
    for key, value in details.items():
        if value in ("", None):
            continue
        value = _clip(value if isinstance(value, str) else json.dumps(value), 1000)
        if used + len(key) + len(value) > OPSGENIE_DETAILS_MAX:
            break
        out[key] = value
        used += len(key) + len(value)
    return out


def opsgenie_body(*, action: str, dedup_key: str, facts: dict) -> dict:
    """The Alert API body: a new alert for a trigger, the note for acknowledge and close."""
    alias = _clip(dedup_key, OPSGENIE_ALIAS_MAX)
    if action != PageAction.TRIGGER:
        note = facts.get("note") or (
            "Acknowledged in AIMS Register." if action == PageAction.ACKNOWLEDGE else "Closed."
        )
        return {
            "user": _clip(CLIENT, OPSGENIE_USER_MAX),
            "source": _clip(CLIENT, OPSGENIE_SOURCE_MAX),
            "note": _clip(note, 25000),
        }
    links = [absolute(href) for href, _text in facts.get("links", ())]
    description = "\n\n".join(x for x in [facts.get("description") or "", *links] if x)
    tags = []
    for tag in ["aims-register", *facts.get("tags", ())]:
        tag = _clip(tag, OPSGENIE_TAG_MAX)
        if tag and tag not in tags:
            tags.append(tag)
    body = {
        "message": _clip(facts.get("summary") or dedup_key, OPSGENIE_MESSAGE_MAX),
        "alias": alias,
        "description": _clip(description, OPSGENIE_DESCRIPTION_MAX),
        "tags": tags[:OPSGENIE_TAGS_MAX],
        "details": _opsgenie_details(facts.get("details") or {}),
        "entity": _clip(facts.get("source") or CLIENT, OPSGENIE_ENTITY_MAX),
        "source": _clip(CLIENT, OPSGENIE_SOURCE_MAX),
        "priority": OPSGENIE_PRIORITY.get(facts.get("severity"), "P3"),
    }
    return {k: v for k, v in body.items() if v not in ("", [], {})} | {"alias": alias}


def page_body(*, vendor: str, action: str, dedup_key: str, facts: dict) -> dict:
    build = pagerduty_body if vendor == PagingVendor.PAGERDUTY else opsgenie_body
    return build(action=action, dedup_key=dedup_key, facts=facts)


def service_key(service) -> str:
    """The routing or API key: from the environment when a variable is named, else the field."""
    if service.key_env:
        key = os.environ.get(service.key_env, "")
        if not key:
            raise ChannelError(f"environment variable {service.key_env} is not set")
        return key
    if not service.key:
        raise ChannelError("no key configured")
    return service.key


def _request(service, event, key: str) -> urllib.request.Request:
    headers = {"Content-Type": "application/json", "User-Agent": CLIENT}
    if service.vendor == PagingVendor.PAGERDUTY:
        url = f"{service.base_url}/v2/enqueue"
        body = {"routing_key": key, **event.payload}
    else:
        headers["Authorization"] = f"GenieKey {key}"
        body = event.payload
        if event.action == PageAction.TRIGGER:
            url = f"{service.base_url}/v2/alerts"
        else:
            verb = "acknowledge" if event.action == PageAction.ACKNOWLEDGE else "close"
            alias = urllib.parse.quote(event.dedup_key[:OPSGENIE_ALIAS_MAX], safe="")
            url = f"{service.base_url}/v2/alerts/{alias}/{verb}?identifierType=alias"
    return urllib.request.Request(  # noqa: S310 - the admin's https (or test) URL
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )


def _answer(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    keep = ("status", "message", "dedup_key", "requestId", "result", "errors")
    return {k: data[k] for k in keep if k in data}


def send_page(*, service, event) -> dict:
    """Send one page event. Returns what the vendor answered (a few fields of its JSON).

    Raises ``PermanentPageError`` when the vendor refuses the event, ``ChannelError`` for
    anything worth retrying (rate limit, server error, time-out, unreachable). Error messages
    name the status and the vendor's own message, never the key.
    """
    key = service_key(service)
    request = _request(service, event, key)
    try:
        with urllib.request.urlopen(request, timeout=PAGE_TIMEOUT_SECONDS) as response:  # noqa: S310
            answer = _answer(response.read(65536))
            if not 200 <= response.status < 300:
                raise ChannelError(f"{service.get_vendor_display()} answered {response.status}")
            return answer
    except urllib.error.HTTPError as exc:
        answer = _answer(exc.read(65536))
        said = answer.get("message") or answer.get("status") or ""
        said = f": {_clip(said, 200)}" if said else ""
        text = f"answered {exc.code}{said}".replace(key, "…")
        if 400 <= exc.code < 500 and exc.code not in (408, 429):
            raise PermanentPageError(text) from exc
        raise ChannelError(text) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ChannelError(f"unreachable: {exc}".replace(key, "…")) from exc


def pagerduty_signature_valid(*, secret: str, body: bytes, header: str) -> bool:
    """Whether one of the ``v1=<hex HMAC-SHA256 of the body>`` signatures in PagerDuty's
    ``X-PagerDuty-Signature`` header (comma-separated while a secret is rotated) matches."""
    if not secret or not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    found = False
    for item in header.split(","):
        version, _sep, value = item.strip().partition("=")
        if version == "v1" and hmac.compare_digest(value.strip().lower(), expected):
            found = True
    return found
