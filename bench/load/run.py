"""Load test on loopback: ``python bench/load/run.py [--quick] [--users 50] [--minutes 5]``.

Needs the bench extra (``pip install -e '.[bench]'``, which brings locust); never part of
``make test``. Steps:

1. a database of its own (``LOAD_DATABASE_URL``, default ``aims_load``): migrate, then seed
   accounts, AI systems, incidents and one huge incident (``--huge`` timeline entries) through
   the real services; seeding is reused by the next run;
2. start gunicorn on 127.0.0.1, a Celery worker and beat (Redis: ``LOAD_REDIS_URL``, else
   ``REDIS_URL``);
3. run the locust scenario (``bench/load/locustfile.py``) headless, while a probe asks
   ``/healthz/`` and the register page every 2 s and the load average is sampled;
4. print errors and p95 per page, the probe's worst answer and the load average, write them to
   ``bench/out/load-<time>.md`` (with locust's CSV files), and stop everything it started.
"""

import argparse
import csv
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
DB_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://aims:aims@127.0.0.1:5432/aims_load")
REDIS_URL = os.environ.get(
    "LOAD_REDIS_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
)
PASSWORD = "load-Secret-123"  # noqa: S105 - accounts of the load database only


def tool(name: str) -> str:
    return str(BIN / name) if (BIN / name).exists() else name


def environment() -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "aims.settings.local",
        "DEBUG": "false",
        "EMAIL_URL": "dummymail://",
        "MEDIA_ROOT": str(ROOT / ".run" / "load-media"),
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",
        "CLOCK_TICK_SECONDS": "60",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def prepare(*, accounts: int, incidents: int, huge: int) -> dict:
    """Migrate and seed the load database (idempotent); return what the locustfile needs."""
    os.environ.update(environment())
    name = DB_URL.rsplit("/", 1)[-1]
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "aims", name], capture_output=True, check=False
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)

    from aims.accounts.services import user_token, user_upsert_with_role
    from bench.casefile import _actors, _system, incident_with_entries
    from incidents import services
    from incidents.models import Incident
    from inventory import services as inventory
    from inventory.models import AISystem

    started = time.perf_counter()
    people = []
    for n in range(accounts):
        role = "grc" if n % 3 else "risk_officer"
        user, _ = user_upsert_with_role(
            username=f"load-{role}-{n}",
            role=role,
            password=PASSWORD,
            email=f"load-{n}@example.org",
        )
        people.append({"username": user.username, "token": user_token(user=user)})
    from aims.accounts.models import User

    owner, _ = user_upsert_with_role(username="load-owner", role="engineer", email="o@example.org")
    systems = list(
        AISystem.objects.filter(name__startswith="Load system ").values_list("id", flat=True)
    )
    for n in range(len(systems), 20):
        systems.append(
            inventory.system_create(
                actor=User.objects.get(username=people[1]["username"]),
                data={
                    "name": f"Load system {n}",
                    "intended_purpose": "Customer service answers (load test)",
                    "business_owner": owner,
                },
            ).pk
        )
    filer = User.objects.get(username=people[1]["username"])
    have = Incident.objects.filter(title__startswith="Load seed ").count()
    for n in range(have, incidents):
        services.incident_create(
            actor=filer,
            systems=[AISystem.objects.get(pk=systems[n % len(systems)])],
            severity=n % 4,
            severity_reason="seeded",
            data={
                "title": f"Load seed {n}: model output off-policy",
                "description": "Seeded for the load test.",
                "detection_source": "monitoring",
            },
        )
    grc, engineer = _actors()
    huge_incident = incident_with_entries(
        huge, grc=grc, engineer=engineer, system=_system(grc, engineer)
    )
    ids = list(Incident.objects.filter(title__startswith="Load seed ").values_list("id", flat=True))
    print(
        f"seeded in {time.perf_counter() - started:.0f} s: {len(people)} accounts, {len(systems)} systems, "
        f"{len(ids)} incidents, huge incident {huge_incident.reference} ({huge} timeline entries)"
    )
    return {
        "password": PASSWORD,
        "accounts": people,
        "systems": systems,
        "incidents": ids,
        "huge_incident": huge_incident.pk,
    }


class Processes:
    """Every process the runner starts, each in its own group, stopped by its id at the end."""

    def __init__(self, logdir: Path):
        self.logdir, self.procs = logdir, []

    def start(self, name, args, env):
        log = open(self.logdir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs.append((name, proc, log))
        return proc

    def stop(self):
        for _name, proc, _log in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc, log in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            log.close()


def wait_up(base: str, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz/", timeout=2).close()  # noqa: S310
            return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz/")


class Probe(threading.Thread):
    """Asks /healthz/ and a signed-in register page every 2 s; samples the load average."""

    def __init__(self, base: str, token: str):
        super().__init__(daemon=True)
        self.base, self.token = base, token
        self.samples = {"healthz": [], "API register": []}
        self.failures = 0
        self.load = []
        self.done = threading.Event()

    def ask(self, name, path, headers):
        started = time.perf_counter()
        try:
            request = urllib.request.Request(self.base + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                response.read()
            self.samples[name].append(time.perf_counter() - started)
        except (urllib.error.URLError, OSError):
            self.failures += 1

    def run(self):
        while not self.done.wait(2):
            self.ask("healthz", "/healthz/", {})
            self.ask(
                "API register",
                "/api/v1/incidents/?page_size=20",
                {"Authorization": f"Token {self.token}"},
            )
            self.load.append(os.getloadavg()[0])


def p95(values):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def report(prefix: Path, probe: Probe, args, load_before, load_after) -> str:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    lines = [
        f"# Load test {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.users} users for {args.seconds} s against gunicorn ({args.workers} workers) on "
        f"127.0.0.1, with a Celery worker and beat. Load average (1 min) before "
        f"{load_before:.2f}, during median {statistics.median(probe.load or [0]):.2f} / max "
        f"{max(probe.load or [0]):.2f}, after {load_after:.2f} (2 cores, shared).",
        "",
        "| page | requests | failures | median ms | p95 ms | max ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Median Response Time']):.0f} | {float(row['95%']):.0f} | "
            f"{float(row['Max Response Time']):.0f} | {float(row['Requests/s']):.2f} |"
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        errors = list(csv.DictReader(open(failures)))  # noqa: SIM115
        if errors:
            lines += ["", "Errors:", ""]
            lines += [
                f"- {e['Method']} {e['Name']}: {e['Error']} ({e['Occurrences']}x)" for e in errors
            ]
    lines += ["", "Probe (one request every 2 s, outside locust):", ""]
    for name, samples in probe.samples.items():
        lines.append(
            f"- {name}: {len(samples)} answers, p95 {p95(samples) * 1000:.0f} ms, "
            f"max {max(samples or [0]) * 1000:.0f} ms"
        )
    lines.append(f"- probe failures (no answer within 30 s): {probe.failures}")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--quick", action="store_true", help="30 s, to try the setup")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--incidents", type=int, default=300, help="seeded incidents")
    parser.add_argument(
        "--huge", type=int, default=1000, help="timeline entries of the huge incident"
    )
    parser.add_argument("--accounts", type=int, default=12)
    args = parser.parse_args()
    args.seconds = 30 if args.quick else int(args.minutes * 60)

    data = prepare(accounts=args.accounts, incidents=args.incidents, huge=args.huge)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    workdir = OUT / f"load-{stamp}"
    workdir.mkdir(parents=True, exist_ok=True)
    data_file = workdir / "data.json"
    data_file.write_text(json.dumps(data))

    env = environment()
    base = f"http://127.0.0.1:{args.port}"
    procs = Processes(workdir)
    try:
        procs.start(
            "gunicorn",
            [
                tool("gunicorn"),
                "aims.wsgi:application",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "180",
            ],
            env,
        )
        procs.start(
            "worker",
            [tool("celery"), "-A", "aims", "worker", "-l", "warning", "--concurrency", "2"],
            env,
        )
        procs.start(
            "beat",
            [
                tool("celery"),
                "-A",
                "aims",
                "beat",
                "-l",
                "warning",
                "-s",
                str(workdir / "beat-schedule"),
                "--pidfile=",
            ],
            env,
        )
        wait_up(base)
        load_before = os.getloadavg()[0]
        probe = Probe(base, data["accounts"][0]["token"])
        probe.start()
        prefix = workdir / "locust"
        locust = procs.start(
            "locust",
            [
                tool("locust"),
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "--host",
                base,
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.seconds}s",
                "--stop-timeout",
                "30",
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            {**env, "LOAD_DATA": str(data_file)},
        )
        locust.wait(timeout=args.seconds + 300)
        probe.done.set()
        probe.join(10)
        load_after = os.getloadavg()[0]
    finally:
        procs.stop()
    text = report(prefix, probe, args, load_before, load_after)
    (OUT / f"load-{stamp}.md").write_text(text)
    print(text)
    print(f"details: {workdir}")


if __name__ == "__main__":
    main()
