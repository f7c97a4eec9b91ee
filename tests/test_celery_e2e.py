"""Clocks end to end through a real Celery worker and beat on Redis, and the broker-down case."""

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.conf import settings
from django.utils import timezone

from aims.clocks.services import tick_and_queue
from aims.notify.models import DeliveryAttempt, Notification
from aims.notify.services import deliver_due
from incidents import services

ROOT = Path(__file__).resolve().parents[1]
TEST_BROKER = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")


def database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def overdue_incident(users, make_system):
    """A P1 incident filed three hours ago: its notify and triage clocks have run out."""
    with time_machine.travel(timezone.now() - timedelta(hours=3), tick=False):
        return services.incident_create(
            actor=users["grc"],
            systems=[make_system()],
            severity=1,
            severity_reason="customers affected",
            data={
                "title": "Credit model drift",
                "description": "approval rate fell",
                "detection_source": "monitoring",
            },
        )


def wait_for(condition, timeout=60.0, interval=0.25):
    """Poll an external process's effect until it shows or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def celery_processes(tmp_path):
    redis.Redis.from_url(TEST_BROKER).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": TEST_BROKER,
        "CLOCK_TICK_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "aims.settings.test",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    celery = (
        str(ROOT / ".venv" / "bin" / "celery")
        if (ROOT / ".venv" / "bin" / "celery").exists()
        else "celery"
    )
    logs = []
    procs = []
    for name, args in [
        (
            "worker",
            [
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "--pool",
                "prefork",
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
        ),
        ("beat", ["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule"), "--pidfile="]),
    ]:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed in teardown
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [celery, "-A", "aims", *args],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    yield tmp_path
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    for log in logs:
        log.close()


@pytest.mark.django_db(transaction=True)
def test_real_beat_and_worker_remind_and_escalate_once(users, make_system, celery_processes):
    incident = overdue_incident(users, make_system)
    ok = wait_for(
        lambda: (
            Notification.objects.filter(recipient=users["risk_officer"]).exists()
            and not DeliveryAttempt.objects.filter(status__in=["pending", "sending"]).exists()
        )
    )
    logs = "\n".join(p.read_text() for p in celery_processes.glob("*.log"))
    assert ok, logs[-4000:]
    # Several more beat ticks run through the worker: nobody is told twice.
    first = Notification.objects.filter(recipient=users["risk_officer"]).count()
    worker_log = celery_processes / "worker.log"

    def ticks_done():
        return worker_log.read_text().count("Task aims.clocks.tasks.tick[")

    seen = ticks_done()
    assert wait_for(lambda: ticks_done() >= seen + 6), worker_log.read_text()[-3000:]
    assert Notification.objects.filter(recipient=users["risk_officer"]).count() == first
    assert first == 2  # the notify and the triage clock each escalated to the risk officer once
    assert incident.timeline.filter(
        kind="delivery", summary__contains="by In-app inbox: sent"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_lost_while_the_broker_is_down(users, make_system, api_client_for):
    from aims.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    app._pool = None
    app.amqp._producer_pool = None
    try:
        started = time.monotonic()
        response = api_client_for(users["engineer"]).post(
            "/api/v1/incidents/",
            {
                "title": "Chatbot insults customers",
                "description": "harmful output",
                "detection_source": "user_report",
                "systems": [make_system().pk],
                "severity": 1,
                "severity_reason": "public",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert time.monotonic() - started < 10
        incident_id = response.json()["id"]
        with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
            result = tick_and_queue()  # the publish fails quietly; the rows stay pending
        assert result.escalations > 0
        assert DeliveryAttempt.objects.filter(status="pending").count() > 0
    finally:
        app.conf.broker_url = original
        app._pool = None
        app.amqp._producer_pool = None
    # The broker is back: the next tick's sweep finds the work in the database.
    with time_machine.travel(timezone.now() + timedelta(hours=3), tick=False):
        processed = deliver_due()
    assert processed > 0
    assert not DeliveryAttempt.objects.filter(status="pending", channel="inbox").exists()
    assert Notification.objects.filter(
        recipient=users["risk_officer"], url=f"/incidents/{incident_id}/"
    ).exists()
