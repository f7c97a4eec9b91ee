"""Base models shared by every domain app, and the reference counters."""

from django.db import models


class TimeStampedModel(models.Model):
    """Every domain record knows when it was created and last changed.

    ``updated_at`` also serves as the record's version for optimistic concurrency: an edit
    made from a stale copy is refused (see ``aims.core.concurrency``).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ReferenceCounter(models.Model):
    """Last number handed out per reference series (``AIS``, ``INC-2026``, ...).

    Infrastructure, not a domain record: it is written only by ``allocate_reference`` with one
    atomic ``INSERT ... ON CONFLICT DO UPDATE``; the row lock it takes is held until the
    allocating transaction ends, so numbers are gapless (a rollback gives the number back) and
    never duplicated. It has no history of its own: the records it numbers have.
    """

    series = models.CharField(max_length=40, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.series}: {self.last_value}"
