"""Audit history for every model: django-simple-history plus a tamper-evident hash chain.

Every domain model declares ``history = audit_history()``. Its historical table then carries,
besides simple-history's who/when/what, the change's source and three chain columns filled by
``aims.audit.chain`` in the same transaction as the change.
"""

import functools

from django.db import models, transaction
from simple_history.models import HistoricalRecords

from .context import Source


class ChainedHistoricalRecord(models.Model):
    """Abstract base of every historical model.

    ``record_hash`` = SHA-256 over the record's own content, its place in the chain and
    ``prev_hash`` (the hash of the record chained just before it, in any table). Changing or
    deleting a historical row in SQL therefore breaks the chain at that point, which
    ``manage.py verify_audit_chain`` detects.
    """

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYSTEM)
    chain_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, editable=False)
    record_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Insert a new record and link it into the chain, in one transaction.

        Inside an audited write the record joins the write's batch and is linked with the
        others when the write ends (``aims.audit.chain.chain_batch``). Inside any other
        transaction it is linked now, with no savepoint; outside any (a login stamping
        ``last_login``, say) a transaction is opened, so no reader ever sees the record unlinked.
        """
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        from .chain import link_records

        with transaction.atomic(using=kwargs.get("using"), savepoint=False):
            super().save(*args, **kwargs)
            link_records([self])


@functools.cache
def stamps_source(history_model) -> bool:
    """Whether the history model's ``source`` column is the audit one (web, API, task…).

    A few audited models have a field of their own called ``source`` (a regulation's source,
    where an alert came from); their history column of that name holds the record's own value,
    which must never be overwritten with where the change came from.
    """
    return "source" not in {f.name for f in history_model.tracked_fields}


def audit_history(**kwargs) -> HistoricalRecords:
    """The ``HistoricalRecords`` every audited model uses."""
    kwargs.setdefault("bases", [ChainedHistoricalRecord])
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**kwargs)
