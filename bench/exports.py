"""Register export benchmark: CSV and XLSX of the whole register, rows/s and peak memory.

``run(n)`` makes sure the bench database holds at least ``n`` incidents (generated in bulk by
``bench.generate``), then exports the whole register as a GRC user would — through
``export_request`` and ``report_execute``, so the timing includes counting, reading, writing,
hashing and storing the file. Each format runs twice: once timed, once under ``tracemalloc``
(which slows Python down several times, so its duration is not the one reported).

Called from ``bench/run.py`` after ``setup_django()`` (it needs Django set up on the bench DB).
"""

import time
import tracemalloc


def _exporter():
    from aims.accounts.services import user_upsert_with_role

    user, _created = user_upsert_with_role(username="bench-grc", role="grc")
    return user


def _export(user, fmt: str, params=None):
    from reporting import services

    run = services.register_export_request(actor=user, fmt=fmt, params=params or {})
    run = services.report_execute(run.pk)
    if run.status != "done":
        raise RuntimeError(f"{fmt} export failed: {run.message}")
    return run


def _discard(run) -> None:
    """The benchmark's files are not evidence: delete them (the run rows stay, as records)."""
    if run.file:
        run.file.delete(save=False)


def run(n: int = 100_000) -> dict:
    from django.db import connection

    from bench.generate import generate_open_incidents
    from incidents.models import Incident

    have = Incident.objects.count()
    if have < n:
        started = time.perf_counter()
        generate_open_incidents(n - have)
        print(f"generated {n - have} incidents in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user = _exporter()
    results = {}
    for fmt in ("csv", "xlsx"):
        started = time.perf_counter()
        timed = _export(user, fmt)
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        try:
            traced = _export(user, fmt)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rows = timed.progress_total
        results[fmt] = {
            "rows": rows,
            "seconds": elapsed,
            "rows_per_second": rows / elapsed if elapsed else 0.0,
            "peak_mb": peak / 1024 / 1024,
            "file_mb": (timed.size or 0) / 1024 / 1024,
        }
        print(
            f"{fmt} export: {rows} incidents in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), "
            f"file {results[fmt]['file_mb']:.1f} MB, peak Python memory "
            f"{results[fmt]['peak_mb']:.1f} MB (tracemalloc)"
        )
        _discard(timed)
        _discard(traced)
    results["pdf"] = bench_pdf(user)
    return results


def bench_pdf(user) -> dict:
    """The PDF is capped (``exports.PDF_MAX_ROWS``): time it at a few sizes up to the cap,
    selecting the oldest incidents with the register's own "detected until" filter."""
    from django.db.models import Max

    from incidents.models import Incident
    from reporting.builders import register as exports

    results = {}
    sizes = sorted({min(500, exports.PDF_MAX_ROWS), exports.PDF_MAX_ROWS})
    for size in sizes:
        # The latest detection time that keeps the selection within ``size`` (times repeat).
        first_out = Incident.objects.order_by("detected_at").values_list("detected_at", flat=True)[
            size
        ]
        until = (
            Incident.objects.filter(detected_at__lt=first_out)
            .aggregate(until=Max("detected_at"))["until"]
            .isoformat()
        )
        started = time.perf_counter()
        run = _export(user, "pdf", {"detected_before": until})
        elapsed = time.perf_counter() - started
        tracemalloc.start()
        try:
            traced = _export(user, "pdf", {"detected_before": until})
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        results[size] = {"rows": run.progress_total, "seconds": elapsed, "peak_mb": peak / 2**20}
        print(
            f"pdf export: {run.progress_total} incidents in {elapsed:.1f} s "
            f"({run.progress_total / elapsed:,.0f} rows/s), file {(run.size or 0) / 2**20:.1f} MB, "
            f"peak Python memory {peak / 2**20:.0f} MB (tracemalloc)"
        )
        _discard(traced)
        _discard(run)
    return results


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.run import setup_django

    setup_django()
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
