"""Slack and Teams webhooks: the card an escalation sends, received by a real local HTTP server
and checked against each vendor's published payload format — Slack's Block Kit limits for the
blocks used, and the message-with-Adaptive-Card envelope a Teams workflow webhook takes."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aims.clocks.models import Clock
from aims.notify.models import DeliveryAttempt, WebhookEndpoint
from aims.notify.services import attempt_process, delivery_create
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db


class Receiver:
    """A local webhook endpoint that keeps every body and answers with ``status``."""

    def __init__(self, status=200):
        self.bodies = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.bodies.append((self.headers.get("Content-Type"), json.loads(raw)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(status=200):
        made.append(Receiver(status))
        return made[-1]

    yield make
    for r in made:
        r.close()


def check_block_kit(message: dict) -> None:
    """Slack's rules for a message with the blocks this product sends."""
    assert isinstance(message["text"], str) and message["text"], "fallback text required"
    assert 1 <= len(message["blocks"]) <= 50
    for block in message["blocks"]:
        kind = block["type"]
        assert kind in ("header", "section", "actions"), kind
        if kind == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= 150
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert block["text"]["type"] in ("mrkdwn", "plain_text")
                assert 0 < len(block["text"]["text"]) <= 3000
            for field in block.get("fields", []):
                assert field["type"] in ("mrkdwn", "plain_text")
                assert 0 < len(field["text"]) <= 2000
            assert len(block.get("fields", [])) <= 10
        else:
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert button["type"] == "button"
                assert button["text"]["type"] == "plain_text"
                assert 0 < len(button["text"]["text"]) <= 75
                assert button["url"].startswith(("http://", "https://"))
                assert len(button["url"]) <= 3000 and len(button["action_id"]) <= 255


def check_teams_card(message: dict) -> dict:
    """A Teams workflow webhook's message: one Adaptive Card attachment; returns the card."""
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] in ("1.2", "1.3", "1.4", "1.5")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    for element in card["body"]:
        assert element["type"] in ("TextBlock", "FactSet")
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str) and element["text"]
        else:
            for fact in element["facts"]:
                assert set(fact) == {"title", "value"}
                assert all(isinstance(v, str) and v for v in fact.values())
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith("http")
    return card


def _escalate(users, make_system, *formats_and_urls, title="Scores <b>wrong</b> & unfair"):
    """A P1 incident on a system; its clock's reminder goes to the risk officer, whose role
    has the given webhooks; every webhook attempt is sent. Returns the incident."""
    for fmt, url in formats_and_urls:
        WebhookEndpoint.objects.create(name=fmt, url=url, format=fmt, role="risk_officer")
    system = make_system(name="Credit scoring")
    incident = file_incident(
        users["grc"], systems=[system], severity=1, severity_reason="Wrong scores", title=title
    )
    clock = Clock.objects.filter(target_id=incident.pk).order_by("due_at").first()
    _, attempt_ids = delivery_create(
        clock=clock,
        step_key="remind",
        recipient=users["risk_officer"],
        kind="reminder",
        title=f"Due soon: {incident.reference} {incident.title}",
        body=f"{clock.label} is due. <Act> & record it.",
        url=incident.get_absolute_url(),
    )
    for attempt in DeliveryAttempt.objects.filter(pk__in=attempt_ids, channel="webhook"):
        attempt_process(attempt.pk)
    return incident, clock


def test_slack_gets_a_block_kit_card_with_the_incident_facts(users, make_system, receiver):
    slack = receiver()
    incident, clock = _escalate(users, make_system, ("slack", slack.url))

    ((content_type, message),) = slack.bodies
    assert content_type == "application/json"
    check_block_kit(message)
    header, body, facts, actions = message["blocks"]
    assert header["text"]["text"] == f"Due soon: {incident.reference} {incident.title}"
    # mrkdwn control characters arrive as entities: no link or markup can be injected
    assert body["text"]["text"] == f"{clock.label} is due. &lt;Act&gt; &amp; record it."
    shown = "\n".join(field["text"] for field in facts["fields"])
    for expected in (incident.reference, "P1", "Reported", "Credit scoring"):
        assert expected in shown
    assert f"<!date^{int(clock.due_at.timestamp())}^" in shown
    (button,) = actions["elements"]
    assert button["url"] == f"http://127.0.0.1:8000{incident.get_absolute_url()}"
    assert DeliveryAttempt.objects.get(channel="webhook").status == "sent"


def test_teams_gets_an_adaptive_card_and_its_202_counts_as_sent(users, make_system, receiver):
    teams = receiver(status=202)  # what a Teams workflow webhook answers
    incident, clock = _escalate(users, make_system, ("teams", teams.url))

    ((_, message),) = teams.bodies
    card = check_teams_card(message)
    title, body, facts = card["body"]
    assert title["text"].startswith(f"Due soon: {incident.reference}")
    assert body["text"] == f"{clock.label} is due. <Act> & record it."
    values = {fact["title"]: fact["value"] for fact in facts["facts"]}
    assert values["Reference"] == incident.reference and values["Severity"] == "P1"
    assert values["System"] == "Credit scoring" and values["Status"] == "Reported"
    assert values["Deadline"].startswith(f"{clock.due_at:%Y-%m-%d}")
    assert card["actions"][0]["url"].endswith(incident.get_absolute_url())
    assert DeliveryAttempt.objects.get(channel="webhook").status == "sent"


def test_a_long_title_is_clipped_to_slacks_header_limit(users, make_system, receiver):
    slack = receiver()
    _escalate(users, make_system, ("slack", slack.url), title="Drift " * 40)
    ((_, message),) = slack.bodies
    check_block_kit(message)
    assert message["blocks"][0]["text"]["text"].endswith("…")


def test_a_chat_service_that_refuses_leaves_a_failed_attempt_to_retry(users, make_system, receiver):
    down = receiver(status=500)
    _escalate(users, make_system, ("teams", down.url))
    attempt = DeliveryAttempt.objects.get(channel="webhook")
    assert attempt.status == "pending" and attempt.tries == 1
    assert "webhook answered 500" in attempt.last_error and attempt.next_try_at is not None
