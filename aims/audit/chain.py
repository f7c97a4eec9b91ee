"""The tamper-evident chain over every history record, and its verification.

Linking: right after simple-history inserts a historical row, ``link_record`` locks the
``ChainHead`` row, reads the new row back from the database (so the hash covers exactly what is
stored), computes ``record_hash = sha256(canonical content + chain_seq + prev_hash)`` and writes
the three chain columns. The head lock is held until the writing transaction commits, which
gives one total order over all history tables.

Lock order: anything that also locks a reference counter takes the chain lock first
(``lock_chain``), so two writers can never wait on each other in opposite orders.

Verification: ``verify_chain`` merges every history table by ``chain_seq`` and recomputes each
hash; the first record whose content, position or predecessor does not match is reported.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import heapq
import json
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from .history import ChainedHistoricalRecord
from .models import ChainHead

GENESIS = "0" * 64
CHAIN_FIELDS = ("chain_seq", "prev_hash", "record_hash")


def history_models():
    """Every historical model that takes part in the chain, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, ChainedHistoricalRecord)]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _canonical(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return value


def _content_fields(model) -> list[str]:
    return sorted(f.attname for f in model._meta.concrete_fields if f.attname not in CHAIN_FIELDS)


def compute_hash(model, row: dict, *, seq: int, prev_hash: str) -> str:
    content = {name: _canonical(row[name]) for name in _content_fields(model)}
    payload = {
        "table": model._meta.label_lower,
        "seq": seq,
        "prev": prev_hash,
        "content": content,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def lock_chain() -> ChainHead:
    """Take the chain lock for the current transaction and return the head."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        ChainHead.objects.get_or_create(pk=1)
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def link_record(history_instance) -> None:
    """Put a freshly inserted historical row at the end of the chain."""
    model = type(history_instance)
    with transaction.atomic():
        head = lock_chain()
        row = (
            model._default_manager.filter(pk=history_instance.pk)
            .values(*_content_fields(model))
            .get()
        )
        seq = head.last_seq + 1
        record_hash = compute_hash(model, row, seq=seq, prev_hash=head.last_hash)
        # Chain columns are written with update(): they are not part of the audited content.
        model._default_manager.filter(pk=history_instance.pk).update(
            chain_seq=seq, prev_hash=head.last_hash, record_hash=record_hash
        )
        ChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=record_hash)
    history_instance.chain_seq = seq
    history_instance.prev_hash = head.last_hash
    history_instance.record_hash = record_hash


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


def _describe(model, row) -> str:
    return f"{model._meta.label_lower} history_id={row['history_id']} (seq {row['chain_seq']})"


def _stream(model, chunk_size: int):
    fields = [*_content_fields(model), *CHAIN_FIELDS]
    qs = model._default_manager.filter(chain_seq__isnull=False).order_by("chain_seq")
    for row in qs.values(*fields).iterator(chunk_size=chunk_size):
        yield row["chain_seq"], model._meta.label_lower, model, row


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


def verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute the whole chain. Reads in chunks: memory stays bounded whatever the size."""
    head = ChainHead.objects.filter(pk=1).first() or ChainHead(last_seq=0, last_hash=GENESIS)
    models_ = history_models()

    for model in models_:
        orphan = model._default_manager.filter(chain_seq__isnull=True).values("history_id").first()
        if orphan:
            return ChainReport(
                checked=0,
                intact=False,
                head_seq=head.last_seq,
                head_hash=head.last_hash,
                problem="a history record is not in the chain (inserted outside the application)",
                broken_record=f"{model._meta.label_lower} history_id={orphan['history_id']}",
            )

    expected_seq, prev, checked = 1, GENESIS, 0
    merged = heapq.merge(*(_stream(m, chunk_size) for m in models_), key=lambda t: (t[0], t[1]))
    for seq, _label, model, row in merged:
        where = _describe(model, row)
        if seq != expected_seq:
            return ChainReport(
                checked,
                False,
                head.last_seq,
                head.last_hash,
                problem=f"records {expected_seq}..{seq - 1} of the chain are missing (deleted)",
                broken_record=where,
            )
        if row["prev_hash"] != prev:
            return ChainReport(
                checked,
                False,
                head.last_seq,
                head.last_hash,
                problem="the record does not point at its predecessor",
                broken_record=where,
            )
        if compute_hash(model, row, seq=seq, prev_hash=prev) != row["record_hash"]:
            return ChainReport(
                checked,
                False,
                head.last_seq,
                head.last_hash,
                problem="the record's content was changed after it was written",
                broken_record=where,
            )
        prev, expected_seq, checked = row["record_hash"], expected_seq + 1, checked + 1

    if checked != head.last_seq or prev != head.last_hash:
        return ChainReport(
            checked,
            False,
            head.last_seq,
            head.last_hash,
            problem=(
                f"the chain ends at record {checked} but its head says {head.last_seq}: "
                "the newest records were deleted"
            ),
            broken_record=f"seq {checked + 1}",
        )
    return ChainReport(checked, True, head.last_seq, head.last_hash)


def verify_records(records) -> list[str]:
    """Recompute the hashes of some history records (e.g. one incident's) against their stored
    chain links. A cheap, targeted check for a case file; ``verify_chain`` checks everything."""
    problems = []
    for record in records:
        model = type(record)
        fields = _content_fields(model)
        row = {name: getattr(record, name) for name in fields}
        if record.chain_seq is None:
            problems.append(
                f"{model._meta.label_lower} history_id={record.history_id} is not in the chain"
            )
        elif (
            compute_hash(model, row, seq=record.chain_seq, prev_hash=record.prev_hash)
            != record.record_hash
        ):
            problems.append(
                f"{_describe(model, {'history_id': record.history_id, 'chain_seq': record.chain_seq})} "
                "was changed after it was written"
            )
    return problems
