"""Human references (``AIS-0007``, ``INC-2026-0042``) allocated without gaps or duplicates."""

from django.db import connection, transaction

from aims.audit.chain import lock_chain

from .models import ReferenceCounter


def allocate_reference(series: str, *, width: int = 4) -> str:
    """Return the next reference in ``series``, e.g. ``AIS`` -> ``AIS-0001``.

    Must run inside the transaction that saves the record: the counter row stays locked until
    that transaction commits, so concurrent creators queue instead of racing, and a rollback
    releases the number for the next one.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_reference must run inside the creating transaction")
    # The audit-chain lock first, then the counter: the one lock order every writer follows,
    # so two transactions can never wait on each other in opposite orders.
    lock_chain()
    table = ReferenceCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (series, last_value) VALUES (%s, 1)
            ON CONFLICT (series) DO UPDATE SET last_value = {table}.last_value + 1
            RETURNING last_value
            """,  # noqa: S608 - table name is a constant of this module
            [series],
        )
        (value,) = cursor.fetchone()
    return f"{series}-{value:0{width}d}"
