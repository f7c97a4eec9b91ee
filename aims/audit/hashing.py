"""What a history record's hash covers, and how it is computed.

``record_hash = sha256(json.dumps({"table", "seq", "prev", "content"}, sort_keys=True,
separators=(",", ":"), ensure_ascii=False))`` where ``content`` maps every concrete field's
attname (the chain columns aside) to its canonical value: datetimes in UTC ISO 8601, dates and
times ISO 8601, decimals and UUIDs as strings, bytes as hex. This format is fixed: every chain
ever written was hashed this way.

Two implementations produce the same bytes:

- ``compute_hash``: the reference, from a dict of the values the ORM reads. Linking uses it
  (``aims.audit.chain.link_record``), and so does every confirmation of a broken record.
- ``RowHasher``: the same hash from a plain database row, for verifying millions of records.
  Its SELECT list has PostgreSQL render most fields to their canonical JSON text, and the
  encoders of the others are chosen once per model, so a row costs one string join and one
  SHA-256 here.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import hashlib
import json
import operator
import uuid

from django.conf import settings
from django.db import connection
from django.db.models import JSONField

CHAIN_FIELDS = ("chain_seq", "prev_hash", "record_hash")

# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False), made once.
_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # what _dumps uses for a str (C when available)

_TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField"}
_INTEGER_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


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


@functools.cache
def content_fields(model) -> tuple[str, ...]:
    """The attnames a record's hash covers, in the order the hash lists them."""
    return tuple(
        sorted(f.attname for f in model._meta.concrete_fields if f.attname not in CHAIN_FIELDS)
    )


def compute_hash(model, row: dict, *, seq: int, prev_hash: str) -> str:
    """The reference hash of a record from the values the ORM reads (``row`` by attname)."""
    content = {name: _canonical(row[name]) for name in content_fields(model)}
    payload = {
        "table": model._meta.label_lower,
        "seq": seq,
        "prev": prev_hash,
        "content": content,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --- the same hash, from plain database rows ------------------------------------------------
#
# Most fields are rendered to their final JSON text by PostgreSQL: integers and booleans,
# datetimes (to_char shaped like isoformat()), strings and arrays of strings or integers
# (to_json escapes exactly the characters json.dumps(ensure_ascii=False) escapes, the same way).
# Neighbouring ones travel as one column: '"a":1,"b":true'. The rest are fetched and encoded
# here: JSON documents (PostgreSQL orders keys differently), decimals (Python writes 1E-7 where
# PostgreSQL writes 0.0000001) and any other field, through _canonical as compute_hash does.
# A record whose hash does not match is re-checked with compute_hash before it is reported.


def _nullable(encode):
    def encode_or_null(value):
        return "null" if value is None else encode(value)

    return encode_or_null


def _generic(field):
    """Any other column: the value as the ORM would return it, through ``_canonical``."""
    from_db = getattr(field, "from_db_value", None)

    def encode(value):
        if from_db is not None and value is not None:
            value = from_db(value, None, connection)
        return _dumps(_canonical(value))

    return encode


def _decimal(value) -> str:
    return '"' + str(value) + '"'


def _json_document(field):
    """Parsed as ``JSONField.from_db_value`` parses, encoded as ``compute_hash`` encodes.

    Straight through json's C scanner and encoder: PostgreSQL's text of a jsonb value has no
    surrounding whitespace to strip, and a parsed document has no cycles to look for.
    """
    decoder = json.JSONDecoder() if field.decoder is None else field.decoder()
    scan = decoder.scan_once
    make_encoder = json.encoder.c_make_encoder
    if make_encoder is None:  # pragma: no cover - CPython always has the C encoder
        return lambda text: _dumps(scan(text, 0)[0])
    encode = make_encoder(None, _unencodable, _string, None, ":", ",", True, False, True)
    return lambda text: "".join(encode(scan(text, 0)[0], 0))


def _unencodable(value):  # pragma: no cover - a parsed JSON document holds only JSON values
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _or_null(expression: str, nullable: bool) -> str:
    return f"COALESCE({expression}, 'null')" if nullable else expression


def _column(field, column: str) -> tuple[str, object | None]:
    """The SELECT expression for one field, and the function that turns what it returns into
    the field's canonical JSON text (what ``compute_hash`` writes after ``"attname":``); no
    function when PostgreSQL already returns that text."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    nullable = field.null
    if hasattr(field, "from_db_value") and not isinstance(field, JSONField):
        return column, _generic(field)  # a field that converts what it reads: as the ORM does
    if kind == "DateTimeField" and settings.USE_TZ:
        # isoformat() of the UTC datetime: six digits of microseconds, none when they are zero.
        utc = (
            f"""'"' || replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), """
            """'.000000', '') || '+00:00"'"""
        )
        return _or_null(utc, nullable), None
    if kind in _TEXT_TYPES:
        return _or_null(f"to_json({column})::text", nullable), None
    if kind in _INTEGER_TYPES:
        return _or_null(f"{column}::text", nullable), None
    if kind == "BooleanField":
        return (
            f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' ELSE 'null' END",
            None,
        )
    if kind == "DecimalField":
        return column, _nullable(_decimal)
    if isinstance(field, JSONField):
        return _or_null(f"{column}::text", nullable), _json_document(field)
    if kind == "ArrayField":
        base = field.base_field.get_internal_type()
        if base in _TEXT_TYPES or base in _INTEGER_TYPES:
            return _or_null(f"to_json({column})::text", nullable), None
    return column, _generic(field)


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


class RowHasher:
    """Hashes one history model's records from rows of ``select_sql()``.

    A row is ``(*parts, history_id, chain_seq, prev_hash, record_hash)``; joined with commas,
    the encoded parts are the record's content, in ``content_fields`` order. Built once per
    model per verification.
    """

    def __init__(self, model):
        self.model = model
        self.label = model._meta.label_lower
        quote = connection.ops.quote_name
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.expressions, self.keys, self.encoders = [], [], []
        rendered: list[str] = []  # PostgreSQL-rendered fields waiting to become one column

        def flush():
            if rendered:
                self.expressions.append(" || ',' || ".join(rendered))
                self.keys.append("")
                self.encoders.append(str)
                rendered.clear()

        for name in content_fields(model):
            key = _string(name) + ":"
            expression, encode = _column(fields[name], quote(fields[name].column))
            if encode is None:
                rendered.append(f"{_sql_literal(key)} || ({expression})")
            else:
                flush()
                self.expressions.append(expression)
                self.keys.append(key)
                self.encoders.append(encode)
        flush()
        self._tail = ',"table":' + _string(self.label) + "}"

    def select_sql(self) -> str:
        """Records up to a chain position (the one parameter), in chain order."""
        quote = connection.ops.quote_name
        extra = [quote(name) for name in ("history_id", *CHAIN_FIELDS)]
        columns = ", ".join(self.expressions + extra)
        return (
            f"SELECT {columns} FROM {quote(self.model._meta.db_table)} "  # noqa: S608 - names from _meta
            f"WHERE {quote('chain_seq')} <= %s ORDER BY {quote('chain_seq')}"
        )

    def hash(self, row, *, seq: int, prev_hash: str) -> str:
        """The record's hash from its row (``map`` stops before the four trailing columns).

        ``prev_hash`` is a hex digest (the genesis, or a hash this verification recomputed),
        so quoting it is its JSON encoding.
        """
        body = ",".join(map(operator.add, self.keys, map(operator.call, self.encoders, row)))
        blob = f'{{"content":{{{body}}},"prev":"{prev_hash}","seq":{seq}{self._tail}'
        return hashlib.sha256(blob.encode()).hexdigest()
