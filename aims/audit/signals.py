"""Connects simple-history's signals: stamp the source, then chain the record."""

from django.dispatch import receiver
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from .chain import link_record
from .context import current_source
from .history import ChainedHistoricalRecord


@receiver(pre_create_historical_record)
def stamp_source(sender, history_instance, **kwargs):
    if isinstance(history_instance, ChainedHistoricalRecord):
        history_instance.source = current_source()


@receiver(post_create_historical_record)
def chain_record(sender, history_instance, **kwargs):
    if isinstance(history_instance, ChainedHistoricalRecord):
        link_record(history_instance)
