"""Run the benchmarks: ``python bench/run.py [clocks|casefile|exports|register] [--incidents N]``.

Not part of ``make test``."""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://aims:aims@127.0.0.1:5432/aims_bench")


def setup_django():
    os.environ["DATABASE_URL"] = BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings.local")
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.setdefault("MEDIA_ROOT", str(ROOT / ".run" / "bench-media"))
    db_name = BENCH_DB.rsplit("/", 1)[-1]
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "aims", db_name], capture_output=True, check=False
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_clocks(incidents: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from aims.clocks.models import Clock
    from aims.clocks.services import clocks_tick
    from bench.generate import generate_open_incidents, make_due
    from incidents.models import Incident

    have = Incident.objects.filter(status="triaged").count()
    if have < incidents:
        started = time.perf_counter()
        generate_open_incidents(incidents - have)
        print(
            f"generated {incidents - have} open incidents in {time.perf_counter() - started:.1f} s"
        )
    Clock.objects.filter(next_action_at__lt=timezone.now()).update(
        next_action_at=None
    )  # leftovers of a busy run
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"open incidents: {Incident.objects.filter(status='triaged').count()}, clocks: {Clock.objects.count()}"
    )

    timings, queries = [], []
    for _ in range(20):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            clocks_tick()
            timings.append(time.perf_counter() - started)
        queries.append(len(ctx.captured_queries))
    print(
        f"quiet tick: median {statistics.median(timings) * 1000:.2f} ms, max {max(timings) * 1000:.2f} ms, "
        f"{max(queries)} SQL queries"
    )

    due = make_due(100)
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        result = clocks_tick()
        elapsed = time.perf_counter() - started
    print(
        f"busy tick: {due} clocks due -> {result.reminders} reminders, {result.escalations} escalations in "
        f"{elapsed * 1000:.0f} ms, {len(ctx.captured_queries)} SQL queries "
        f"({len(ctx.captured_queries) / max(due, 1):.1f} per due clock)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "which",
        nargs="*",
        default=["clocks", "casefile", "exports", "register"],
        help="clocks, casefile, exports, register (default: all)",
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument(
        "--repeats", type=int, default=30, help="requests per case of the register benchmark"
    )
    args = parser.parse_args()
    setup_django()
    if "clocks" in args.which:
        bench_clocks(args.incidents)
    if "casefile" in args.which:
        from bench import casefile

        casefile.run()
    if "exports" in args.which:
        from bench import exports

        exports.run(args.incidents)
    if "register" in args.which:
        from bench import register

        register.run(args.incidents, repeats=args.repeats)


if __name__ == "__main__":
    main()
