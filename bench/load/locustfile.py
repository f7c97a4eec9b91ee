"""Load scenario for AIMS Register (locust). Started by ``bench/load/run.py``, which seeds the
data, starts gunicorn, a worker and beat on 127.0.0.1 and writes the data file read here.

Users (``LOAD_DATA`` names the JSON file with accounts, systems and incidents):

- ``Staff`` (the bulk): browse the register, incident pages and systems; file incidents through
  the API; triage what they filed; upload evidence; stream a CSV export now and then.
- ``Exporter`` (a few, ``fixed_count``): start XLSX and PDF register exports and stream CSVs
  back to back — "many exports".
- ``CaseFileReader`` (one): asks for the case file of the huge incident over and over, both the
  page route (queued to the worker) and the API route (rendered in the request).

Every request is named by its page, so the statistics give errors and p95 per page.
"""

import itertools
import json
import os
import random
import re
import threading
import uuid

from locust import HttpUser, between, task

DATA = json.loads(open(os.environ["LOAD_DATA"]).read())  # noqa: SIM115 - read once at start
_accounts = itertools.cycle(DATA["accounts"])
_lock = threading.Lock()
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
EVIDENCE = b"timestamp,prompt,output\n" + b"2026-12-01T10:00:00Z,loan?,rejected\n" * 600


def next_account():
    with _lock:
        return next(_accounts)


class SignedIn(HttpUser):
    abstract = True

    def on_start(self):
        self.account = next_account()
        self.api = {"Authorization": f"Token {self.account['token']}"}
        self.mine = []  # incidents this user filed and not yet triaged
        page = self.client.get("/accounts/login/", name="login page")
        match = CSRF.search(page.text or "")
        self.client.post(
            "/accounts/login/",
            {
                "username": self.account["username"],
                "password": DATA["password"],
                "csrfmiddlewaretoken": match.group(1) if match else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    def incident_id(self):
        return random.choice(DATA["incidents"])


class Staff(SignedIn):
    weight = 10
    wait_time = between(1, 4)

    @task(6)
    def register(self):
        self.client.get("/incidents/", name="register")

    @task(2)
    def register_filtered(self):
        self.client.get("/incidents/?status=reported&severity=2", name="register (filtered)")

    @task(6)
    def incident_page(self):
        self.client.get(f"/incidents/{self.incident_id()}/", name="incident page")

    @task(3)
    def systems(self):
        self.client.get("/systems/", name="systems")

    @task(2)
    def system_page(self):
        self.client.get(f"/systems/{random.choice(DATA['systems'])}/", name="system page")

    @task(1)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def file_incident(self):
        response = self.client.post(
            "/api/v1/incidents/",
            json={
                "title": f"Load test: chatbot answer off-policy {uuid.uuid4().hex[:6]}",
                "description": "A customer was given a refund rule that does not exist.",
                "detection_source": "user_report",
                "systems": [random.choice(DATA["systems"])],
                "severity": random.choice([2, 3]),
                "severity_reason": "Single customer, no financial loss",
            },
            headers={**self.api, "Idempotency-Key": uuid.uuid4().hex},
            name="API file incident",
        )
        if response.status_code == 201:
            self.mine.append(response.json()["id"])

    @task(2)
    def triage(self):
        if not self.mine:
            return
        pk = self.mine.pop()
        self.client.post(
            f"/api/v1/incidents/{pk}/transition/",
            json={"to": "triaged", "reason": ""},
            headers=self.api,
            name="API triage",
        )

    @task(2)
    def upload_evidence(self):
        pk = self.mine[-1] if self.mine else self.incident_id()
        self.client.post(
            f"/api/v1/incidents/{pk}/evidence/",
            files={"file": ("chat-log.csv", EVIDENCE, "text/csv")},
            data={"kind": "sample_io", "description": "Chat transcript"},
            headers=self.api,
            name="API evidence upload",
        )

    @task(1)
    def api_register(self):
        self.client.get("/api/v1/incidents/?page_size=50", headers=self.api, name="API register")

    @task(1)
    def csv_export(self):
        self.client.get(
            "/api/v1/register-exports/csv/?severity=2", headers=self.api, name="API CSV export"
        )


class Exporter(SignedIn):
    fixed_count = 4
    wait_time = between(0.5, 2)

    @task(2)
    def start_export(self):
        self.client.post(
            "/api/v1/register-exports/",
            json={"format": random.choice(["xlsx", "pdf", "csv"]), "filters": {}},
            headers=self.api,
            name="API start export",
        )

    @task(3)
    def stream_csv(self):
        self.client.get(
            "/api/v1/register-exports/csv/", headers=self.api, name="API CSV export (all)"
        )


class CaseFileReader(SignedIn):
    fixed_count = 1
    wait_time = between(1, 3)

    @task(3)
    def queued_case_file(self):
        self.client.get(
            f"/reports/incidents/{DATA['huge_incident']}/case-file.pdf",
            name="huge case file (page, queued)",
        )

    @task(1)
    def inline_case_file(self):
        self.client.get(
            f"/api/v1/incidents/{DATA['huge_incident']}/case-file.pdf",
            headers=self.api,
            name="huge case file (API, inline)",
            timeout=180,
        )
