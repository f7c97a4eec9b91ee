"""A local server playing PagerDuty's Events API v2 and Opsgenie's Alert API.

Every request is checked against a JSON Schema written from the vendor's published format
(and the path, query and headers the vendor requires) and recorded; an invalid one is answered
as the vendor answers it (PagerDuty 400 "invalid event", Opsgenie 422). It can be told to answer
the next requests with a failure (500, 429, …) to test retries and ordering.
"""

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema

SHORT = {"type": "string", "minLength": 1, "maxLength": 255}

PAGERDUTY_EVENT = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "additionalProperties": False,
    "properties": {
        "routing_key": {"type": "string", "minLength": 1},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "minLength": 1, "maxLength": 255},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "additionalProperties": False,
            "properties": {
                "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
                "source": SHORT,
                "severity": {"enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": SHORT,
                "group": SHORT,
                "class": SHORT,
                "custom_details": {"type": "object"},
            },
        },
        "images": {"type": "array"},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["href"],
                "additionalProperties": False,
                "properties": {
                    "href": {"type": "string", "pattern": "^https?://"},
                    "text": {"type": "string"},
                },
            },
        },
        "client": {"type": "string"},
        "client_url": {"type": "string", "pattern": "^https?://"},
    },
    "if": {"properties": {"event_action": {"const": "trigger"}}},
    "then": {"required": ["payload"]},
    "else": {"required": ["dedup_key"]},
}

OPSGENIE_CREATE = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {
        "message": {"type": "string", "minLength": 1, "maxLength": 130},
        "alias": {"type": "string", "maxLength": 512},
        "description": {"type": "string", "maxLength": 15000},
        "responders": {"type": "array"},
        "visibleTo": {"type": "array"},
        "actions": {"type": "array", "maxItems": 10},
        "tags": {
            "type": "array",
            "maxItems": 20,
            "items": {"type": "string", "maxLength": 50},
        },
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
        "entity": {"type": "string", "maxLength": 512},
        "source": {"type": "string", "maxLength": 100},
        "priority": {"enum": ["P1", "P2", "P3", "P4", "P5"]},
        "user": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "maxLength": 25000},
    },
}

OPSGENIE_ACTION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "user": {"type": "string", "maxLength": 100},
        "source": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "maxLength": 25000},
    },
}

CHECKER = jsonschema.Draft202012Validator.FORMAT_CHECKER


def _errors(schema, body) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=CHECKER)
    return [e.message for e in validator.iter_errors(body)]


class PagerServer:
    """``requests``: (vendor, action, path, headers, body) of every valid request, in order."""

    def __init__(self, *, opsgenie_key: str = ""):
        self.requests = []
        self.invalid = []
        self.failures = []  # statuses to answer the next requests with
        self.opsgenie_key = opsgenie_key
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = outer.handle(self.path, dict(self.headers), raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.failures.extend(statuses)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _reject(self, vendor, path, problems, status):
        self.invalid.append((vendor, path, problems))
        if vendor == "pagerduty":
            return status, {
                "status": "invalid event",
                "message": "Event object is invalid",
                "errors": problems,
            }
        return status, {"message": "; ".join(problems), "took": 0.001, "requestId": "x"}

    def handle(self, raw_path: str, headers: dict, raw: bytes):
        parts = urlsplit(raw_path)
        path, query = parts.path, parse_qs(parts.query)
        vendor = "pagerduty" if path == "/v2/enqueue" else "opsgenie"
        if not headers.get("Content-Type", "").startswith("application/json"):
            return self._reject(vendor, path, ["Content-Type must be application/json"], 400)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._reject(vendor, path, ["body is not JSON"], 400)
        if vendor == "pagerduty":
            action, problems = body.get("event_action"), _errors(PAGERDUTY_EVENT, body)
            if problems:
                return self._reject(vendor, path, problems, 400)
        else:
            if headers.get("Authorization") != f"GenieKey {self.opsgenie_key}":
                return 401, {"message": "Key format is not valid!", "took": 0, "requestId": "x"}
            segments = path.split("/")
            if path == "/v2/alerts":
                action, schema = "create", OPSGENIE_CREATE
            elif (
                len(segments) == 5
                and segments[:3] == ["", "v2", "alerts"]
                and segments[4] in ("acknowledge", "close")
            ):
                action, schema = segments[4], OPSGENIE_ACTION
                if query.get("identifierType") != ["alias"]:
                    return self._reject(vendor, path, ["identifierType must be alias"], 422)
            else:
                return 404, {"message": "no such endpoint", "took": 0, "requestId": "x"}
            problems = _errors(schema, body)
            if problems:
                return self._reject(vendor, path, problems, 422)
        with self.lock:
            failure = self.failures.pop(0) if self.failures else None
        if failure:
            return failure, {"status": "error", "message": f"failing with {failure}"}
        self.requests.append((vendor, action, unquote(path), headers, body))
        if vendor == "pagerduty":
            return 202, {
                "status": "success",
                "message": "Event processed",
                "dedup_key": body.get("dedup_key") or uuid.uuid4().hex,
            }
        return 202, {
            "result": "Request will be processed",
            "took": 0.01,
            "requestId": str(uuid.uuid4()),
        }
