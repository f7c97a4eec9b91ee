"""The tamper-evident chain over every history record, and its verification.

Linking: the moment simple-history inserts a historical row, ``link_record`` locks the
``ChainHead`` row, reads the new row back from the database (so the hash covers exactly what is
stored), computes ``record_hash`` (``aims.audit.hashing``) over its content, its place
``chain_seq`` and ``prev_hash``, and writes the three chain columns. The insert and the link run
in the writing transaction (``ChainedHistoricalRecord.save`` opens one when there is none), with
no savepoint of their own: a history row can only ever commit together with its link. The head
lock is held until the writing transaction commits, which gives one total order over all history
tables: a record's place in the chain is also its place in commit order.

Lock order: anything that also locks a reference counter takes the chain lock first
(``lock_chain``), so two writers can never wait on each other in opposite orders.

Verification: ``verify_chain`` reads the head and every history table in one consistent
snapshot, merges the tables by ``chain_seq`` and recomputes each hash; the first record whose
content, position or predecessor does not match is reported.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
from concurrent import futures
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Q

from .hashing import CHAIN_FIELDS, RowHasher, compute_hash, content_fields
from .history import ChainedHistoricalRecord
from .models import ChainHead

__all__ = [
    "CHAIN_FIELDS",
    "GENESIS",
    "ChainReport",
    "compute_hash",
    "history_models",
    "latest_verification",
    "link_record",
    "link_records",
    "lock_chain",
    "verify_and_record",
    "verify_chain",
    "verify_records",
]

logger = logging.getLogger(__name__)

GENESIS = "0" * 64


def history_models():
    """Every historical model that takes part in the chain, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, ChainedHistoricalRecord)]
    return sorted(found, key=lambda m: m._meta.label_lower)


def lock_chain() -> ChainHead:
    """Take the chain lock for the current transaction and return the head."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def link_record(history_instance) -> None:
    """Put a freshly inserted historical row at the end of the chain.

    Must run in the transaction that inserted the row, and takes no savepoint: if any step
    fails, Django marks that whole transaction for rollback, so the row, its link and the head
    either all commit or none does.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("link_record must run inside the transaction that inserted the record")
    model = type(history_instance)
    head = lock_chain()
    row = model._default_manager.filter(pk=history_instance.pk).values(*content_fields(model)).get()
    seq = head.last_seq + 1
    record_hash = compute_hash(model, row, seq=seq, prev_hash=head.last_hash)
    # The chain columns (not part of the audited content) and the head, in one statement.
    quote = connection.ops.quote_name
    head_table, table = quote(ChainHead._meta.db_table), quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH moved AS (UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = 1) "  # noqa: S608 - names from _meta
            f"UPDATE {table} SET chain_seq = %s, prev_hash = %s, record_hash = %s "
            f"WHERE {quote(model._meta.pk.column)} = %s",
            [seq, record_hash, seq, head.last_hash, record_hash, history_instance.pk],
        )
    history_instance.chain_seq = seq
    history_instance.prev_hash = head.last_hash
    history_instance.record_hash = record_hash


LINK_BATCH = 1000  # history rows linked per statement


def link_records(history_instances) -> None:
    """Put many freshly inserted historical rows of one model at the end of the chain, in the
    order given, in a constant number of statements per ``LINK_BATCH`` rows.

    The bulk counterpart of ``link_record`` for writes that touch one row per person of a list
    (rows inserted by ``bulk_create`` skip ``ChainedHistoricalRecord.save``): the rows are read
    back in one query, hashed here in order, and their chain columns and the head written in one
    statement. The same transaction rules hold: no savepoint, everything commits together.
    """
    history_instances = list(history_instances)
    if not history_instances:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("link_records must run inside the transaction that inserted them")
    model = type(history_instances[0])
    head = lock_chain()
    seq, prev = head.last_seq, head.last_hash
    quote = connection.ops.quote_name
    head_table, table = quote(ChainHead._meta.db_table), quote(model._meta.db_table)
    pk_column = quote(model._meta.pk.column)
    pk_name = model._meta.pk.attname
    for start in range(0, len(history_instances), LINK_BATCH):
        batch = history_instances[start : start + LINK_BATCH]
        rows = {
            row[pk_name]: row
            for row in model._default_manager.filter(pk__in=[h.pk for h in batch]).values(
                *content_fields(model)
            )
        }
        values, params = [], []
        for instance in batch:
            seq += 1
            record_hash = compute_hash(model, rows[instance.pk], seq=seq, prev_hash=prev)
            instance.chain_seq, instance.prev_hash, instance.record_hash = seq, prev, record_hash
            values.append("(%s::bigint, %s::bigint, %s::varchar, %s::varchar)")
            params += [instance.pk, seq, prev, record_hash]
            prev = record_hash
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH moved AS (UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = 1) "  # noqa: S608 - names from _meta
                f"UPDATE {table} AS t SET chain_seq = v.seq, prev_hash = v.prev, "
                f"record_hash = v.hash FROM (VALUES {', '.join(values)}) AS v(pk, seq, prev, hash) "
                f"WHERE t.{pk_column} = v.pk",
                [seq, prev, *params],
            )
    head.last_seq, head.last_hash = seq, prev


@dataclass
class ChainReport:
    checked: int
    intact: bool
    head_seq: int
    head_hash: str
    problem: str = ""
    broken_record: str = ""

    def as_dict(self) -> dict:
        return {
            "checked": self.checked,
            "intact": self.intact,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problem": self.problem,
            "broken_record": self.broken_record,
        }


def _describe(model, history_id, seq) -> str:
    return f"{model._meta.label_lower} history_id={history_id} (seq {seq})"


def verify_and_record(*, chunk_size: int = 2000) -> ChainReport:
    """Verify the whole chain and keep the result (``ChainVerification``)."""
    from .models import ChainVerification

    report = verify_chain(chunk_size=chunk_size)
    ChainVerification.objects.create(
        checked=report.checked,
        intact=report.intact,
        head_seq=report.head_seq,
        head_hash=report.head_hash,
        problem=report.problem,
        broken_record=report.broken_record,
    )
    return report


def latest_verification():
    from .models import ChainVerification

    return ChainVerification.objects.first()


@contextlib.contextmanager
def _snapshot():
    """One REPEATABLE READ, READ ONLY transaction: every query in it sees the same committed
    state of the database, whatever commits meanwhile."""
    from psycopg import IsolationLevel

    # A health check or a reconnection inside the block would start the transaction with the
    # default isolation: have them happen first.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    saved = raw.isolation_level, raw.read_only
    raw.isolation_level, raw.read_only = IsolationLevel.REPEATABLE_READ, True
    try:
        with transaction.atomic():
            yield
    finally:
        if not raw.closed:
            raw.isolation_level, raw.read_only = saved


def _in_snapshot() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('transaction_isolation')")
        (level,) = cursor.fetchone()
    return level in ("repeatable read", "serializable")


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute the whole chain. Reads in chunks: memory stays bounded whatever the size.

    Called outside a transaction (the command, the nightly task, an audit sample), the check
    reads the head and every history table in one snapshot (``_snapshot``), so writes that
    commit meanwhile are neither half-seen nor taken for deleted records. Inside a caller's
    transaction it checks the chain up to the head it read first: every record up to that head
    committed before the head moved past it, so the verdict on them is just as exact, and
    records committed later are left to the next verification.
    """
    if connection.in_atomic_block:
        return _verify(chunk_size)
    with _snapshot():
        return _verify(chunk_size)


def _chunks(hasher: RowHasher, upto: int, chunk_size: int, fetcher):
    """One table's records up to ``upto``, in chain order, a chunk at a time.

    While the caller checks one chunk, ``fetcher`` (one thread, so the connection serves one
    command at a time) already fetches the next: the database and Python work side by side.
    """
    with connection.chunked_cursor() as cursor:
        cursor.execute(hasher.select_sql(), [upto])
        pending = fetcher.submit(cursor.fetchmany, chunk_size)
        try:
            while rows := pending.result():
                pending = fetcher.submit(cursor.fetchmany, chunk_size)
                yield rows
        finally:
            futures.wait([pending])


def _reference_hash_matches(model, history_id, *, seq: int, prev_hash: str, stored: str) -> bool:
    """Recompute one record's hash from what the ORM reads, as linking computed it."""
    row = model._default_manager.filter(pk=history_id).values(*content_fields(model)).first()
    if row is None or compute_hash(model, row, seq=seq, prev_hash=prev_hash) != stored:
        return False
    logger.warning(
        "audit chain: the streamed hash of %s disagreed with the reference hash, which matches",
        _describe(model, history_id, seq),
    )
    return True


def _verify(chunk_size: int) -> ChainReport:
    snapshot = _in_snapshot()
    head = ChainHead.objects.filter(pk=1).first() or ChainHead(last_seq=0, last_hash=GENESIS)
    broken = functools.partial(
        ChainReport, intact=False, head_seq=head.last_seq, head_hash=head.last_hash
    )
    models_ = history_models()

    # Rows outside the chain. A record beyond the head can only be told from one committed a
    # moment ago inside a snapshot, so that part of the check needs one.
    outside = Q(chain_seq__isnull=True) | Q(chain_seq__gt=head.last_seq) if snapshot else None
    for model in models_:
        query = model._default_manager.filter(outside or Q(chain_seq__isnull=True))
        stray = query.values("history_id", "chain_seq").first()
        if stray is None:
            continue
        label = f"{model._meta.label_lower} history_id={stray['history_id']}"
        if stray["chain_seq"] is None:
            problem = "a history record is not in the chain (inserted outside the application)"
        else:
            problem = (
                f"a history record claims place {stray['chain_seq']} beyond the chain's head "
                f"{head.last_seq} (written outside the application)"
            )
        return broken(checked=0, problem=problem, broken_record=label)

    with futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-fetch") as fetcher:
        hashers = [RowHasher(model) for model in models_]
        sources = [(h, _chunks(h, head.last_seq, chunk_size, fetcher)) for h in hashers]
        try:
            return _walk(sources, head, broken)
        finally:
            for _hasher, chunks in sources:
                chunks.close()


def _walk(sources, head: ChainHead, broken) -> ChainReport:
    """Check every table's records, merged in chain order, against the chain they should form.

    The merge: ``waiting`` holds each table's next record by its place; the record expected
    next is taken out and its table's following record put in. A place held twice, or one
    nobody holds, is where the chain breaks.
    """
    waiting, doubles = {}, {}

    def advance(hasher, rows):
        row = next(rows, None)
        if row is not None:
            seq = row[-3]
            (doubles if seq in waiting else waiting)[seq] = (row, hasher, rows)

    for hasher, chunks in sources:
        advance(hasher, itertools.chain.from_iterable(chunks))

    expected_seq, prev, checked = 1, GENESIS, 0
    take = waiting.pop
    while waiting:
        entry = take(expected_seq, None)
        if entry is None or (doubles and expected_seq in doubles):
            if entry is None:
                seq = min(waiting)
                row, hasher, _rows = waiting[seq]
                problem = f"records {expected_seq}..{seq - 1} of the chain are missing (deleted)"
            else:
                seq = expected_seq
                row, hasher, _rows = doubles[seq]
                problem = f"two records claim place {seq} of the chain"
            return broken(
                checked=checked,
                problem=problem,
                broken_record=_describe(hasher.model, row[-4], seq),
            )
        row, hasher, rows = entry
        stored = row[-1]
        if row[-2] != prev:
            return broken(
                checked=checked,
                problem="the record does not point at its predecessor",
                broken_record=_describe(hasher.model, row[-4], expected_seq),
            )
        if hasher.hash(row, seq=expected_seq, prev_hash=prev) != stored and not (
            _reference_hash_matches(
                hasher.model, row[-4], seq=expected_seq, prev_hash=prev, stored=stored
            )
        ):
            return broken(
                checked=checked,
                problem="the record's content was changed after it was written",
                broken_record=_describe(hasher.model, row[-4], expected_seq),
            )
        advance(hasher, rows)
        prev, expected_seq, checked = stored, expected_seq + 1, checked + 1

    if checked != head.last_seq:
        return broken(
            checked=checked,
            problem=(
                f"the chain ends at record {checked} but its head says {head.last_seq}: "
                "the newest records were deleted"
            ),
            broken_record=f"seq {checked + 1}",
        )
    if prev != head.last_hash:
        return broken(
            checked=checked,
            problem="the chain's head does not point at its newest record",
            broken_record=f"seq {checked}",
        )
    return ChainReport(checked, True, head.last_seq, head.last_hash)


def verify_records(records) -> list[str]:
    """Recompute the hashes of some history records (e.g. one incident's) against their stored
    chain links. A cheap, targeted check for a case file; ``verify_chain`` checks everything."""
    problems = []
    for record in records:
        model = type(record)
        row = {name: getattr(record, name) for name in content_fields(model)}
        if record.chain_seq is None:
            problems.append(
                f"{model._meta.label_lower} history_id={record.history_id} is not in the chain"
            )
        elif (
            compute_hash(model, row, seq=record.chain_seq, prev_hash=record.prev_hash)
            != record.record_hash
        ):
            problems.append(
                f"{_describe(model, record.history_id, record.chain_seq)} "
                "was changed after it was written"
            )
    return problems
