"""Faults a running installation meets: Redis down, a worker killed mid-work, PostgreSQL
connections cut under load, a full disk on upload. No incident is lost, no notification is
duplicated or lost, nothing is left half-written.

Redis faults use a redis-server of the test's own on a free port (the shared Redis that other
runs and the Celery broker use is never stopped). Real worker processes are started as in
``test_celery_e2e``.
"""

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from aims.audit.chain import verify_chain
from aims.clocks.services import tick_and_queue
from aims.notify.models import Delivery, DeliveryAttempt, Notification
from aims.notify.services import LEASE, deliver_due
from incidents import services
from incidents.models import Evidence, Incident, ProtectedReport

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


def _bin(name: str) -> str:
    return str(VENV_BIN / name) if (VENV_BIN / name).exists() else name


def database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=60.0, interval=0.2):
    """Poll another process's effect until it shows or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def incident_data(title="Chatbot insults customers"):
    return {
        "title": title,
        "description": "harmful output",
        "detection_source": "user_report",
    }


# --- a Redis of the test's own ------------------------------------------------------------


class PrivateRedis:
    """A redis-server on a free loopback port that the test stops and starts at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert wait_for(self.answers, timeout=10), "private redis-server did not start"

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None
        assert not self.answers()


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@contextmanager
def broker_and_cache(url: str):
    """Point this process's Celery publisher and Django cache at ``url``."""
    from aims.celery import app

    original = app.conf.broker_url
    cache = {**settings.CACHES["default"], "LOCATION": url}

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = url
    reset()
    try:
        with override_settings(CACHES={"default": cache}):
            yield
    finally:
        app.conf.broker_url = original
        reset()


@contextmanager
def celery_worker(tmp_path, broker_url, *, beat=False, name="worker"):
    """A real worker (and optionally beat) on ``broker_url`` against the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker_url,
        "TEST_REDIS_URL": broker_url,
        "CLOCK_TICK_SECONDS": "1",
        "DJANGO_SETTINGS_MODULE": "aims.settings.test",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    commands = [
        (
            name,
            ["worker", "-l", "info", "--concurrency", "2", "--pool", "prefork"]
            + ["--hostname", f"{name}-{uuid.uuid4().hex[:8]}@%h", "--without-heartbeat"],
        )
    ]
    if beat:
        commands.append(
            ("beat", ["beat", "-l", "info", "-s", str(tmp_path / "beat-schedule"), "--pidfile="])
        )
    procs, logs = {}, []
    for label, args in commands:
        log = open(tmp_path / f"{label}.log", "w")  # noqa: SIM115 - closed below
        logs.append(log)
        procs[label] = subprocess.Popen(
            [_bin("celery"), "-A", "aims", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in logs:
            log.close()


def logs_of(tmp_path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in tmp_path.glob("*.log"))


# --- 1. Redis down while filing and while the clocks tick -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_redis_down_filing_and_tick_lose_nothing_and_the_work_is_found_later(
    users, make_system, api_client_for, private_redis, tmp_path
):
    system = make_system()
    private_redis.stop()
    filed_at = timezone.now() - timedelta(hours=3)
    with broker_and_cache(private_redis.url):
        with time_machine.travel(filed_at, tick=False):
            started = time.monotonic()
            api = api_client_for(users["engineer"]).post(
                "/api/v1/incidents/",
                {**incident_data(), "systems": [system.pk], "severity": 1, "severity_reason": "x"},
                format="json",
            )
            assert api.status_code == 201, api.content
            assert time.monotonic() - started < 10
            # The protected channel counts submissions in the cache: with the cache down the
            # report is still taken (the limit is not enforced rather than the reporter refused).
            public = Client(REMOTE_ADDR="10.9.8.7").post(
                "/report/",
                {"description": "Screener ranks older applicants last.", "anonymous": "on"},
            )
            assert public.status_code == 200, public.content[:2000]
            assert b"receipt" in public.content.lower()
        # The beat ticks while Redis is still down: deliveries are written, publishing fails
        # quietly and the attempts wait in the database.
        started = time.monotonic()
        result = tick_and_queue()
        assert time.monotonic() - started < 15
        assert result.escalations > 0
    incident = Incident.objects.get(pk=api.json()["id"])
    assert ProtectedReport.objects.count() == 1
    pending = DeliveryAttempt.objects.filter(status="pending", channel="inbox").count()
    assert pending == Delivery.objects.count() > 0
    assert not Notification.objects.exists()

    # Redis is back: the beat's next ticks find the waiting attempts in the database.
    private_redis.start()
    with celery_worker(tmp_path, private_redis.url, beat=True) as procs:
        done = wait_for(
            lambda: (
                Notification.objects.count() == Delivery.objects.count()
                and not DeliveryAttempt.objects.filter(status__in=["pending", "sending"]).exists()
            ),
            timeout=90,
        )
        assert done, logs_of(tmp_path)

        def ticks():
            return (
                (tmp_path / "worker.log").read_text().count("Task aims.notify.tasks.deliver_due[")
            )

        seen = ticks()
        assert wait_for(lambda: ticks() >= seen + 3, timeout=60), logs_of(tmp_path)
        assert all(p.poll() is None for p in procs.values())
    # Every delivery told its recipient exactly once.
    assert Notification.objects.count() == Delivery.objects.count()
    assert Notification.objects.values("delivery").distinct().count() == Delivery.objects.count()
    assert Notification.objects.filter(
        recipient=users["risk_officer"], url=incident.get_absolute_url()
    ).exists()


# --- 2. A worker killed mid-delivery ------------------------------------------------------


class HangingWebhook:
    """A webhook receiver that holds every request while ``hold`` is set, then answers 200."""

    def __init__(self):
        self.keys = []
        self.hold = threading.Event()
        self.hold.set()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.keys.append(self.headers.get("Idempotency-Key"))
                if outer.hold.is_set():
                    outer.release.wait(30)
                    return  # the sender is gone; never answer
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_is_not_resent_while_leased_and_is_resumed_after(
    users, make_system, api_client_for, private_redis, tmp_path
):
    from aims.notify.models import WebhookEndpoint

    hook = HangingWebhook()
    try:
        WebhookEndpoint.objects.create(name="Pager", url=hook.url, role="risk_officer")
        with time_machine.travel(timezone.now() - timedelta(hours=3), tick=False):
            services.incident_create(
                actor=users["grc"],
                systems=[make_system()],
                severity=1,
                severity_reason="customers affected",
                data=incident_data(),
            )
        with (
            broker_and_cache(private_redis.url),
            celery_worker(tmp_path, private_redis.url) as procs,
        ):
            tick_and_queue()  # hands the attempts to the worker after commit
            webhooks = DeliveryAttempt.objects.filter(channel="webhook")
            total = webhooks.count()
            assert total > 0
            # The worker has claimed every webhook attempt and is waiting on the receiver.
            claimed = wait_for(
                lambda: (
                    len(hook.keys) == total and webhooks.filter(status="sending").count() == total
                ),
                timeout=60,
            )
            assert claimed, logs_of(tmp_path)
            os.killpg(procs["worker"].pid, signal.SIGKILL)  # the worker dies mid-send
            procs["worker"].wait(timeout=10)
        hook.hold.clear()
        killed_at = timezone.now()
        first_keys = sorted(hook.keys)
        assert len(set(first_keys)) == total

        # Within the lease nobody sends them again.
        deliver_due(now=killed_at + timedelta(minutes=1))
        assert sorted(hook.keys) == first_keys
        assert webhooks.filter(status="sending").count() == total

        # After the lease the sweep resumes them, with the same Idempotency-Key.
        deliver_due(now=killed_at + LEASE + timedelta(minutes=1))
        assert sorted(hook.keys) == sorted(first_keys * 2)
        assert webhooks.filter(status="sent", tries=2).count() == total
        deliver_due(now=killed_at + LEASE + timedelta(minutes=30))
        assert len(hook.keys) == 2 * total  # done is done
        # The in-app inbox got each delivery once, whichever process wrote it.
        assert Notification.objects.count() == Delivery.objects.count()
        assert (
            Notification.objects.values("delivery").distinct().count() == Delivery.objects.count()
        )
    finally:
        hook.close()


# --- 3. A worker killed mid-report --------------------------------------------------------


class WorkerKilled(BaseException):
    """Stands for the process dying: not an ``Exception``, so nothing marks the run failed."""


@pytest.mark.django_db(transaction=True)
def test_report_run_whose_worker_died_is_resumed_by_the_sweep_after_its_lease(
    users, monkeypatch, request
):
    from dataclasses import replace

    from aims.celery import app
    from reporting import registry, tasks
    from reporting import services as reporting
    from reporting.choices import ReportKind, RunStatus

    eager = app.conf.task_always_eager
    request.addfinalizer(lambda: setattr(app.conf, "task_always_eager", eager))
    real = registry._BUILDERS[ReportKind.REGISTER_CSV]
    real_build = real.build
    calls = []

    def dying_build(run, progress):
        calls.append(run.pk)
        progress(1, 10)
        raise WorkerKilled()

    def counting_build(run, progress):
        calls.append(run.pk)
        return real_build(run, progress)

    started = timezone.now()
    with time_machine.travel(started, tick=False):
        run = reporting.register_export_request(actor=users["grc"], fmt="csv", params={})
        monkeypatch.setitem(
            registry._BUILDERS, ReportKind.REGISTER_CSV, replace(real, build=dying_build)
        )
        with pytest.raises(WorkerKilled):
            reporting.report_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    app.conf.task_always_eager = True  # the sweep's apply_async runs the task here
    monkeypatch.setitem(
        registry._BUILDERS, ReportKind.REGISTER_CSV, replace(real, build=counting_build)
    )

    # While the lease holds, the sweep leaves the run to its (possibly slow) worker.
    with time_machine.travel(started + timedelta(minutes=1), tick=False):
        tasks.sweep_queued()
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and calls == [run.pk]

    # Long after any lease, the sweep starts it again and it finishes once.
    with time_machine.travel(started + timedelta(hours=3), tick=False):
        tasks.sweep_queued()
        tasks.sweep_queued()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.message
    assert calls == [run.pk, run.pk]
    assert len(run.sha256) == 64


# --- 4. PostgreSQL connections lost under load --------------------------------------------


@contextmanager
def gunicorn_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "aims.settings.test",
        "CONN_MAX_AGE": "60",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [_bin("gunicorn"), "aims.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        + ["--workers", "2", "--timeout", "60", "--graceful-timeout", "5"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            urllib.request.urlopen(f"{base}/api/v1/", timeout=2).close()  # noqa: S310
            return True
        except urllib.error.HTTPError:
            return True  # answered
        except (urllib.error.URLError, OSError):
            return False

    try:
        assert wait_for(up, timeout=30), (tmp_path / "gunicorn.log").read_text()[-3000:]
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def post_json(url, body, headers, timeout=30):
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def terminate_app_backends(own_pid: int) -> int:
    """From a connection of its own, cut every other connection to the test database."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
        autocommit=True,
    ) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [own_pid],
        ).fetchall()
    return sum(1 for (ok,) in rows if ok)


@pytest.mark.django_db(transaction=True)
def test_postgres_connections_cut_under_load_lose_and_half_write_nothing(
    users, make_system, tmp_path
):
    from django.db import connection

    from aims.accounts.services import user_token

    system = make_system()
    token = user_token(user=users["engineer"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    body = {**incident_data(), "systems": [system.pk], "severity": 2, "severity_reason": "x"}
    outcomes = []  # (key, status, content type, body) of every answer

    with gunicorn_server(tmp_path) as base:

        def file(key, tries=15):
            for _ in range(tries):
                try:
                    status, content, kind = post_json(
                        f"{base}/api/v1/incidents/",
                        {**body, "title": f"Drift {key}"},
                        {"Authorization": f"Token {token}", "Idempotency-Key": key},
                    )
                except (urllib.error.URLError, OSError) as exc:  # connection reset by the server
                    outcomes.append((key, 0, "", str(exc).encode()))
                    continue
                outcomes.append((key, status, kind, content))
                if status in (200, 201):
                    return status
            return None

        # Idle persistent connections cut between requests: the health check reconnects.
        warm = [f"warm-{i}" for i in range(4)]
        assert all(file(key, tries=1) == 201 for key in warm)
        assert terminate_app_backends(own_pid) > 0
        after = [f"after-{i}" for i in range(4)]
        assert [file(key, tries=1) for key in after] == [201] * 4

        # Connections cut while requests run: every request gets an answer, retries with the
        # same Idempotency-Key file each incident exactly once.
        keys = [f"load-{i}" for i in range(24)]
        results = {}

        def client(my_keys):
            for key in my_keys:
                results[key] = file(key)

        threads = [threading.Thread(target=client, args=(keys[i::4],)) for i in range(4)]
        for t in threads:
            t.start()

        # Cut every connection each time three more incidents were filed, while the clients run.
        def filed():
            return sum(1 for o in outcomes if o[1] in (200, 201))

        terminated, answered = 0, filed()
        deadline = time.monotonic() + 120
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            if filed() >= answered + 3:
                answered = filed()
                terminated += terminate_app_backends(own_pid)
            threads[0].join(0.02)
        for t in threads:
            t.join(30)
        assert terminated > 0
        assert all(results.get(key) in (200, 201) for key in keys), (results, outcomes[-6:])

        log = (tmp_path / "gunicorn.log").read_text()
    failures = [o for o in outcomes if o[1] not in (200, 201)]
    assert failures  # some cuts did hit requests in flight
    for _key, status, kind, content in failures:
        # A cut connection is answered cleanly: 503 JSON telling the client to retry.
        assert status == 503, (status, content[:500], log[-2000:])
        assert kind.startswith("application/json")
        assert json.loads(content)["code"] == "database_unavailable"
    all_keys = warm + after + keys
    incidents = Incident.objects.filter(title__startswith="Drift ")
    assert sorted(incidents.values_list("title", flat=True)) == sorted(
        f"Drift {k}" for k in all_keys
    )
    for incident in incidents.prefetch_related("affected_systems", "timeline"):
        assert incident.affected_systems.count() == 1
        assert incident.timeline.filter(kind="created").count() == 1
        assert incident.severity == 2
    assert verify_chain().intact


def terminate_backend(pid: int) -> None:
    """From a connection of its own, cut one connection to the test database."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname=db["NAME"],
        autocommit=True,
    ) as conn:
        (ok,) = conn.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()
    assert ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/incidents/"), ("post", "/inbox/read/"), ("get", "/api/v1/incidents/")],
)
def test_a_cut_database_connection_is_answered_503_on_pages_as_in_the_api(
    method, url, users, client
):
    """A page whose database connection is lost says so (503, retry) in the API's words,
    instead of the server-error page; the next request reconnects."""
    from django.db import connection

    client.force_login(users["grc"])
    client.raise_request_exception = False
    assert getattr(client, method)(url).status_code in (200, 302)  # the control
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    terminate_backend(own_pid)

    response = getattr(client, method)(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    message = "The database is unavailable for a moment. Nothing was saved; retry."
    if url.startswith("/api/"):
        assert response.json() == {"code": "database_unavailable", "message": message}
    else:
        assert response["Content-Type"].startswith("text/html")
        body = response.content.decode()
        assert message in body and "Server Error" not in body

    connection.close()  # what the end of the request does with a broken connection
    assert getattr(client, method)(url).status_code in (200, 302)


# --- 5. Disk full on evidence upload ------------------------------------------------------


class FullDiskStorage(FileSystemStorage):
    """Writes part of the file, then fails as a full disk does (ENOSPC) — the partial file stays
    behind, as it does on a real full file system."""

    partial_writes: list

    def _save(self, name, content):
        path = self.path(name)
        self.partial_writes.append(path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content.read(1024))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@pytest.fixture(params=["storage", "tmpfs"])
def full_disk(request, tmp_path, monkeypatch):
    """Evidence storage on a disk with 16 KB free: a stand-in storage, or a real tiny tmpfs."""
    field = Evidence._meta.get_field("file")
    if request.param == "storage":
        root = tmp_path / "evidence"
        storage = FullDiskStorage(location=root)
        storage.partial_writes = []
        monkeypatch.setattr(field, "storage", storage)
        yield root
        assert storage.partial_writes  # the fault happened, part-way through a write
        return
    with tmpfs(tmp_path / "tiny", "256k") as root:
        filler = root / "filler"
        with open(filler, "wb") as handle:
            handle.write(b"\0" * (256 * 1024 - 16 * 1024))
        monkeypatch.setattr(field, "storage", FileSystemStorage(location=root / "evidence"))
        yield root / "evidence"


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.django_db
def test_disk_full_on_evidence_upload_is_a_clear_error_and_leaves_nothing_behind(
    users, make_system, api_client_for, full_disk
):
    incident = services.incident_create(
        actor=users["grc"], systems=[make_system()], data=incident_data()
    )
    big = os.urandom(64 * 1024)
    api = api_client_for(users["grc"]).post(
        f"/api/v1/incidents/{incident.pk}/evidence/",
        {"file": SimpleUploadedFile("logs.bin", big), "kind": "other"},
        format="multipart",
    )
    assert api.status_code == 507, api.content
    assert api.json()["code"] == "storage_full"
    assert "no room" in api.json()["message"].lower()

    page = Client()
    page.force_login(users["grc"])
    html = page.post(
        f"/incidents/{incident.pk}/evidence/",
        {"file": SimpleUploadedFile("logs.bin", big), "kind": "other"},
        follow=True,
    )
    assert html.redirect_chain == [(incident.get_absolute_url(), 302)]
    assert "no room" in html.content.decode().lower()  # the message on the incident page
    fragment = page.post(
        f"/incidents/{incident.pk}/evidence/",
        {"file": SimpleUploadedFile("logs.bin", big), "kind": "other"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 507
    assert "no room" in fragment.content.decode().lower()

    assert not Evidence.objects.filter(incident=incident).exists()
    assert stored_files(full_disk) == []  # no orphan, not even a partial file
    incident.refresh_from_db()
    assert incident.evidence_preserved_at is None
    assert not incident.timeline.filter(kind="evidence").exists()


@pytest.mark.django_db
def test_an_upload_that_fits_is_stored_on_the_same_nearly_full_disk(
    users, make_system, api_client_for, tmp_path
):
    """Positive control for the test above: the same nearly full tmpfs takes a small file."""
    field = Evidence._meta.get_field("file")
    incident = services.incident_create(
        actor=users["grc"], systems=[make_system()], data=incident_data()
    )
    with tmpfs(tmp_path / "tiny", "256k") as root:
        with open(root / "filler", "wb") as handle:
            handle.write(b"\0" * (256 * 1024 - 64 * 1024))
        original = field.storage
        field.storage = FileSystemStorage(location=root / "evidence")
        try:
            api = api_client_for(users["grc"]).post(
                f"/api/v1/incidents/{incident.pk}/evidence/",
                {"file": SimpleUploadedFile("small.txt", b"model output\n" * 100), "kind": "other"},
                format="multipart",
            )
            assert api.status_code == 201, api.content
            assert len(stored_files(root / "evidence")) == 1
        finally:
            field.storage = original
