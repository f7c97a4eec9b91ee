"""The tamper-evident chain over every history record, and its verification.

Linking: a record's chain columns are ``chain_seq`` (its place), ``prev_hash`` (the hash of the
record before it, in any table) and ``record_hash`` (``aims.audit.hashing``: SHA-256 over its
content as the database stores it, its place and ``prev_hash``). Linking reads the new rows back
(so the hash covers exactly what is stored), computes their hashes in order and writes every
chain column and the ``ChainHead`` in one statement.

- Inside an audited write (``aims.core.services.audited_write``, through ``chain_batch``) the
  records are collected as they are inserted and linked together at the end of the write, still
  inside its transaction: one read-back per history table and one statement, however many
  records the write produced. The write took the chain lock first and holds it to commit, so no
  other writer can link in between.
- Anywhere else (a login stamping ``last_login``, a command's own transaction) a record is
  linked the moment it is inserted, taking the lock then.

Either way the insert and the link run in the writing transaction, with no savepoint of their
own: a history row can only ever commit together with its link. The head lock is held until the
writing transaction commits, which gives one total order over all history tables: a record's
place in the chain is also its place in commit order.

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
    "chain_batch",
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


# Rows per linking statement: four parameters each, far below PostgreSQL's 65,535.
LINK_CHUNK = 2000
_BATCH_ATTR = "aims_chain_batch"


class _Batch:
    """The records an audited write inserted and has not linked yet, and the head they follow.

    The head is the one read when the write took the chain lock: while the batch is open every
    link goes through it, so nothing else moves the head.
    """

    def __init__(self, head: ChainHead):
        self.last_seq, self.last_hash = head.last_seq, head.last_hash
        self.pending: list = []


def _open_batch(using=None) -> _Batch | None:
    return getattr(transaction.get_connection(using), _BATCH_ATTR, None)


@contextlib.contextmanager
def chain_batch(using=None):
    """Take the chain lock, and link every history record inserted in the block at its end.

    Must be entered inside the writing transaction, and left (normally) before it commits: the
    records are linked as the block ends, still inside that transaction. A block inside another
    joins it; the outermost one links. When the block raises, nothing is linked: the
    transaction that inserted the records is on its way to a rollback.
    """
    conn = transaction.get_connection(using)
    if getattr(conn, _BATCH_ATTR, None) is not None:
        yield
        return
    if not conn.in_atomic_block:
        raise RuntimeError("chain_batch must run inside the writing transaction")
    batch = _Batch(lock_chain())
    setattr(conn, _BATCH_ATTR, batch)
    try:
        yield
        _link_pending(batch)
    finally:
        setattr(conn, _BATCH_ATTR, None)


def link_pending(using=None) -> None:
    """Link what the open batch holds now (a check reading the chain inside the write)."""
    batch = _open_batch(using)
    if batch is not None:
        _link_pending(batch)


def link_record(history_instance) -> None:
    """Put a freshly inserted historical row at the end of the chain (see ``link_records``)."""
    link_records([history_instance])


def link_records(history_instances) -> None:
    """Put freshly inserted historical rows at the end of the chain, in the order given.

    Must run in the transaction that inserted them, and takes no savepoint: if any step fails,
    Django marks that whole transaction for rollback, so the rows, their links and the head
    either all commit or none does. Inside an audited write they join its batch and are linked
    when it ends; elsewhere they are linked now.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("link_record must run inside the transaction that inserted the record")
    batch = _open_batch()
    if batch is not None:
        batch.pending.extend(history_instances)
        return
    batch = _Batch(lock_chain())
    batch.pending.extend(history_instances)
    _link_pending(batch)


def _link_pending(batch: _Batch) -> None:
    pending, batch.pending = batch.pending, []
    for start in range(0, len(pending), LINK_CHUNK):
        _link(batch, pending[start : start + LINK_CHUNK])


def _link(batch: _Batch, instances) -> None:
    """Hash ``instances`` after the batch's head and write their chain columns and the new head
    in one statement. A record whose insert a savepoint rolled back is no longer there to read
    back: it takes no place in the chain."""
    by_model: dict = {}
    for instance in instances:
        by_model.setdefault(type(instance), []).append(instance)
    stored = {}
    for model, members in by_model.items():
        fields = content_fields(model)
        pk = model._meta.pk.attname
        for row in model._default_manager.filter(pk__in=[m.pk for m in members]).values(
            *fields, pk
        ):
            stored[model, row[pk]] = row

    seq, prev = batch.last_seq, batch.last_hash
    links: dict = {}
    for instance in instances:
        model = type(instance)
        row = stored.pop((model, instance.pk), None)
        if row is None:
            continue
        seq += 1
        record_hash = compute_hash(model, row, seq=seq, prev_hash=prev)
        links.setdefault(model, []).append((instance.pk, seq, prev, record_hash))
        instance.chain_seq, instance.prev_hash, instance.record_hash = seq, prev, record_hash
        prev = record_hash
    if not links:
        return

    # The chain columns (not part of the audited content) of every table, and the head, in one
    # statement: PostgreSQL runs every data-modifying WITH part, read or not.
    quote = connection.ops.quote_name
    parts, params = [], []
    for model, rows in links.items():
        values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(rows))
        parts.append(
            f"UPDATE {quote(model._meta.db_table)} AS t "  # noqa: S608 - names from _meta
            "SET chain_seq = v.seq, prev_hash = v.prev, record_hash = v.hash "
            f"FROM (VALUES {values}) AS v (id, seq, prev, hash) "
            f"WHERE t.{quote(model._meta.pk.column)} = v.id"
        )
        params.extend(value for row in rows for value in row)
    head_table = quote(ChainHead._meta.db_table)
    ctes = [f"moved AS (UPDATE {head_table} SET last_seq = %s, last_hash = %s WHERE id = 1)"]  # noqa: S608 - names from _meta
    ctes += [f"linked_{i} AS ({part})" for i, part in enumerate(parts[:-1])]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {parts[-1]}", [seq, prev, *params])
    batch.last_seq, batch.last_hash = seq, prev


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
        link_pending()
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
