"""Audit-chain verification speed: ``python bench/verify_chain.py [--records 200000]``.

Makes sure the bench database's audit chain holds at least N history records, then times
``manage.py verify_audit_chain`` (a full verification, recorded) a few times and prints
records/s, with the CPU time Python and the PostgreSQL server process spent: on a busy machine
the wall-clock time mostly measures the wait for a CPU.

Filling the chain through real writes would take hours, so a few incidents are filed through the
real services (their history rows are the templates: every kind of row an incident writes) and
the templates are then copied in bulk, in chain order, each copy linked with the same hashing
code the application links with (``aims.audit.chain.compute_hash``). The result is a valid chain
(the benchmark checks that it verifies intact) whose tables look like a busy register's.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 5000
SEED_INCIDENTS = 5
NOTES_PER_INCIDENT = 6


def _seed_real_writes() -> None:
    """A few incidents filed, triaged and annotated through the real services."""
    from aims.accounts.services import user_upsert_with_role
    from incidents import services
    from incidents.models import Incident
    from inventory import services as inventory

    if Incident.objects.filter(title__startswith="Bench chain incident").exists():
        return
    grc, _ = user_upsert_with_role(username="bench-chain-grc", role="grc")
    engineer, _ = user_upsert_with_role(username="bench-chain-engineer", role="engineer")
    system = inventory.system_create(
        actor=grc,
        data={
            "name": "Bench chain system",
            "intended_purpose": "Credit decisions (benchmark)",
            "business_owner": engineer,
        },
    )
    for n in range(SEED_INCIDENTS):
        incident = services.incident_create(
            actor=engineer,
            data={
                "title": f"Bench chain incident {n}",
                "description": "Rejections rose for applicants with a non-EU postcode.",
                "detection_source": "monitoring",
                "types": ["bias", "drift"],
                "individuals_affected_estimate": 420 + n,
            },
            systems=[system],
            severity=1,
            severity_reason="Systematically wrong outputs for a defined group",
        )
        for i in range(NOTES_PER_INCIDENT):
            services.note_add(
                actor=grc, incident=incident, body=f"Checked rejection rate, sample {n}-{i}."
            )


def _templates() -> list[tuple[type, dict]]:
    """The chained history rows written so far, in chain order, as (model, stored values)."""
    from aims.audit.chain import history_models

    rows = []
    for model in history_models():
        names = [f.attname for f in model._meta.concrete_fields]
        for row in model._default_manager.filter(chain_seq__isnull=False).values(*names)[:500]:
            rows.append((row["chain_seq"], model, row))
    rows.sort(key=lambda t: t[0])
    return [(model, row) for _seq, model, row in rows]


def _reserve_history_ids(picked) -> dict:
    from django.db import connection

    wanted: dict[type, int] = {}
    for model, _template in picked:
        wanted[model] = wanted.get(model, 0) + 1
    ids = {}
    with connection.cursor() as cursor:
        for model, count in wanted.items():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'history_id')) "
                "FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            ids[model] = iter([value for (value,) in cursor.fetchall()])
    return ids


def extend_chain(target: int) -> int:
    """Append copies of the template rows until the chain holds ``target`` records."""
    from django.db import transaction

    from aims.audit.chain import compute_hash, lock_chain
    from aims.audit.models import ChainHead

    templates = _templates()
    made = 0
    while True:
        with transaction.atomic():
            head = lock_chain()
            missing = target - head.last_seq
            if missing <= 0:
                return made
            seq, prev = head.last_seq, head.last_hash
            picked = [templates[(seq + i) % len(templates)] for i in range(min(BATCH, missing))]
            ids = _reserve_history_ids(picked)
            by_model: dict[type, list] = {}
            for i, (model, template) in enumerate(picked, start=1):
                # The history id is part of the hashed content: take it from the table's
                # sequence first, as the INSERT would.
                row = dict(template, history_id=next(ids[model]))
                row["history_date"] = template["history_date"] + timedelta(microseconds=seq + i)
                row["chain_seq"], row["prev_hash"] = seq + i, prev
                row["record_hash"] = prev = compute_hash(model, row, seq=seq + i, prev_hash=prev)
                by_model.setdefault(model, []).append(model(**row))
            for model, objs in by_model.items():
                model._default_manager.bulk_create(objs)
            last = seq + min(BATCH, missing)
            ChainHead.objects.filter(pk=1).update(last_seq=last, last_hash=prev)
            made += last - seq


def _backend_cpu_s(pid: int) -> float | None:
    """CPU seconds the database server process serving us has used (same host only)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(records: int, repeats: int) -> dict:
    """Time ``manage.py verify_audit_chain`` over a chain of at least ``records`` records."""
    from django.core.management import call_command
    from django.db import connection

    from aims.audit.chain import latest_verification

    _seed_real_writes()
    started = time.perf_counter()
    made = extend_chain(records)
    if made:
        print(f"generated {made} history records in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()

    timings = []
    for _ in range(repeats):
        started, cpu, db_cpu = time.perf_counter(), time.process_time(), _backend_cpu_s(backend)
        try:
            call_command("verify_audit_chain", stdout=io.StringIO(), stderr=io.StringIO())
        except SystemExit as exc:
            raise SystemExit(f"the bench chain does not verify: {latest_verification()}") from exc
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        db_cpu = None if db_cpu is None else _backend_cpu_s(backend) - db_cpu
        timings.append(wall)
        checked = latest_verification().checked
        split = f"Python {cpu:.2f} s" + (f", PostgreSQL {db_cpu:.2f} s" if db_cpu else "")
        print(
            f"  {checked} records in {wall:.2f} s ({checked / wall:,.0f} records/s); CPU: {split}"
        )
    median = statistics.median(timings)
    print(
        f"verify_audit_chain over {checked} records: median {median:.2f} s, "
        f"{checked / median:,.0f} records/s (best {checked / min(timings):,.0f} records/s)"
    )
    return {"checked": checked, "median_s": median, "records_per_s": checked / median}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from bench.run import setup_django

    setup_django()
    run(args.records, args.repeats)


if __name__ == "__main__":
    main()
