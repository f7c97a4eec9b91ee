"""Connects simple-history's signals: stamp the source of every history record.

Chaining the record is not a signal: ``ChainedHistoricalRecord.save`` links it in the same
transaction as its insert.
"""

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from .context import current_source
from .history import ChainedHistoricalRecord, stamps_source


@receiver(pre_create_historical_record)
def stamp_source(sender, history_instance, **kwargs):
    if isinstance(history_instance, ChainedHistoricalRecord) and stamps_source(
        type(history_instance)
    ):
        history_instance.source = current_source()
