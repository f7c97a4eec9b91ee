"""State of the audit chain."""

from django.db import models


class ChainHead(models.Model):
    """The single row that points at the newest chained history record.

    Locking it (``SELECT ... FOR UPDATE``) orders every writer into one chain. Infrastructure,
    written only by ``aims.audit.chain``; it has no history of its own by design.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"chain head #{self.last_seq}"


class ChainVerification(models.Model):
    """The result of one full verification of the audit chain (nightly, or on demand).

    Case files and the audit-sample manifest quote the latest one.
    """

    checked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    checked = models.PositiveBigIntegerField()
    intact = models.BooleanField()
    head_seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    problem = models.TextField(blank=True)
    broken_record = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-checked_at", "-id"]

    def __str__(self):
        return f"{'intact' if self.intact else 'BROKEN'} at {self.checked_at:%Y-%m-%d %H:%M} ({self.checked} records)"
