"""Helpers every service uses to write audited records the same way."""

import functools

from django.core.exceptions import ValidationError
from django.db import models, transaction

from .exceptions import ValidationFailed

HISTORY_REASON_MAX = 100  # simple-history's ``history_change_reason`` column


def history_reason(reason: str | None) -> str | None:
    """A bounded summary of a free-text reason, for the history record's change-reason column.

    Reasons are free text of any length; the full text belongs in the record's own field or its
    timeline entry. The history column holds at most 100 characters, so a longer reason is cut
    at a word where possible and ends with an ellipsis.
    """
    text = " ".join((reason or "").split())
    if not text:
        return None
    if len(text) <= HISTORY_REASON_MAX:
        return text
    cut = text[: HISTORY_REASON_MAX - 1]
    if " " in cut[HISTORY_REASON_MAX // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def validation_failed_from(exc: ValidationError) -> ValidationFailed:
    """Turn Django's ValidationError into our error with per-field messages."""
    if hasattr(exc, "error_dict"):
        fields = {
            name: [str(m) for e in errs for m in e.messages]
            for name, errs in exc.error_dict.items()
        }
        parts = [
            f"{name}: {' '.join(msgs)}" if name != "__all__" else " ".join(msgs)
            for name, msgs in fields.items()
        ]
        return ValidationFailed("; ".join(parts), fields=fields)
    return ValidationFailed(" ".join(exc.messages))


def model_save(
    instance: models.Model,
    *,
    actor,
    exclude=None,
    update_fields=None,
    validate: bool = True,
    lookups: bool = True,
) -> models.Model:
    """Validate and save an audited record, recording ``actor`` in its history.

    Services call this instead of ``instance.save()`` so that validation, the acting user and
    the history record can never be forgotten. ``validate=False`` is for rows the system builds
    itself from already-valid records (deliveries, attempts, clock bookkeeping): the database
    constraints still hold, the model-level checks would only cost queries.

    ``lookups=False`` still validates every field value and the model's ``clean()``, but skips
    the checks that read the database: that related rows exist (the service holds them),
    uniqueness and constraints (the service checked what a person can get wrong; the database
    enforces them all the same).
    """
    if validate:
        try:
            if lookups:
                instance.full_clean(exclude=exclude)
            else:
                related = [f.name for f in instance._meta.concrete_fields if f.is_relation]
                instance.full_clean(
                    exclude=[*(exclude or ()), *related],
                    validate_unique=False,
                    validate_constraints=False,
                )
        except ValidationError as exc:
            raise validation_failed_from(exc) from exc
    instance._history_user = actor if getattr(actor, "is_authenticated", False) else None
    instance.save(update_fields=update_fields)
    return instance


def _validate_without_lookups(instance, exclude=None) -> None:
    related = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    try:
        instance.full_clean(
            exclude=[*(exclude or ()), *related], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise validation_failed_from(exc) from exc


# Rows per statement: PostgreSQL takes at most 65,535 parameters in one, and a row of a list
# has a dozen or two columns (an update twice that: the key and the value of each).
BULK_BATCH = 1000


def _history_bulk(model, instances, *, actor, update: bool, reason: str | None = None) -> None:
    """One history record per instance, in batched INSERTs, chained with the write's other
    records.

    simple-history's bulk helper writes the records; it sends no per-record signal, so the
    source the signal would stamp is given here, and the records are handed to the chain (as a
    single save hands its record in ``ChainedHistoricalRecord.save``).
    """
    from aims.audit.chain import link_records
    from aims.audit.context import current_source
    from aims.audit.history import stamps_source

    user = actor if getattr(actor, "is_authenticated", False) else None
    for instance in instances:
        instance._history_user = user
    stamped = {"source": current_source()} if stamps_source(model.history.model) else None
    records = model.history.bulk_history_create(
        instances,
        batch_size=BULK_BATCH,
        update=update,
        default_user=user,
        default_change_reason=history_reason(reason) or "",
        custom_historical_attrs=stamped,
    )
    link_records(records)


def model_bulk_create(
    instances, *, actor, validate: bool = True, exclude=None
) -> list[models.Model]:
    """Create many audited records of one model in one INSERT, with their history in another.

    For a service that writes a number of rows that grows with the data: the cost stays the
    same whatever the number. Each record is validated as ``model_save(..., lookups=False)``
    validates (the service holds the related rows; the database enforces uniqueness and
    constraints). Must run inside the service's transaction (``audited_write``).
    """
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    if validate:
        for instance in instances:
            _validate_without_lookups(instance, exclude)
    created = model._default_manager.bulk_create(instances, batch_size=BULK_BATCH)
    _history_bulk(model, created, actor=actor, update=False)
    return created


def model_bulk_update(
    instances, *, actor, fields, validate: bool = True, exclude=None
) -> list[models.Model]:
    """Save changed ``fields`` of many audited records of one model in one UPDATE, with one
    history record each in one INSERT (never a bare ``QuerySet.update()``, which would skip the
    history). ``auto_now`` fields (``updated_at``) are stamped as ``save()`` stamps them."""
    instances = list(instances)
    if not instances:
        return instances
    model = type(instances[0])
    fields = list(fields)
    stamped = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
    for instance in instances:
        if validate:
            _validate_without_lookups(instance, exclude)
        for field in stamped:
            field.pre_save(instance, add=False)
    fields += [f.name for f in stamped if f.name not in fields]
    model._default_manager.bulk_update(instances, fields, batch_size=BULK_BATCH)
    _history_bulk(model, instances, actor=actor, update=True)
    return instances


def audited_write(func):
    """Run a service in one transaction that first takes the audit-chain lock.

    Every history record joins one hash chain, so writers are ordered anyway; taking that lock
    first, before any row lock, gives every transaction the same lock order and rules out
    deadlocks between row locks and the chain. The cost is that audited writes run one at a
    time, which is far above the write rate of an incident register.

    The history records the service writes are linked into the chain together as it returns,
    inside its transaction (``aims.audit.chain.chain_batch``): a write costs the same few
    linking queries whether it produced one history record or fifty. A service called by
    another joins the caller's batch.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from aims.audit.chain import chain_batch

        with transaction.atomic(), chain_batch():
            return func(*args, **kwargs)

    return wrapper


def bulk_save_audited(model, objs, *, actor, fields=None, reason: str | None = None) -> list:
    """Insert (``fields=None``) or update (the ``fields`` named) many rows of an audited model in
    a constant number of queries, each with its chained history record.

    For lists with a row per person (affected individuals), where ``model_save`` per row would
    cost queries in proportion to the list. The caller validated the rows (as ``model_save``
    would with ``validate=False``); the history records carry ``actor``, the request's source
    and ``reason`` (bounded, as ``history_reason``) and are linked into the audit chain in order.
    """
    objs = list(objs)
    if not objs:
        return objs
    if fields is None:
        objs = model._default_manager.bulk_create(objs, batch_size=BULK_BATCH)
    else:
        model._default_manager.bulk_update(objs, fields, batch_size=BULK_BATCH)
    _history_bulk(model, objs, actor=actor, update=fields is not None, reason=reason)
    return objs
