"""An audited write links the history records it wrote together, as it ends: the chain it
leaves is the one record-by-record linking would leave, whatever the write did on the way."""

import contextlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from aims.audit import chain
from aims.audit.chain import verify_chain
from aims.audit.models import ChainHead
from aims.core.services import audited_write, model_save
from tests.testapp.models import Widget
from tests.testapp.services import widget_create, widget_rename

pytestmark = pytest.mark.django_db


def head_seq() -> int:
    return ChainHead.objects.get_or_create(pk=1)[0].last_seq


@audited_write
def rename_many_times(*, actor, widget, names):
    for name in names:
        widget.name = name
        model_save(widget, actor=actor, validate=False)
    return widget


def linking_statements(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("WITH moved AS")]


def test_many_records_cost_the_same_linking_queries_as_one(users):
    widget = widget_create(actor=users["grc"], name="Gadget")
    counts = {}
    for size in (1, 12):
        with CaptureQueriesContext(connection) as ctx:
            rename_many_times(
                actor=users["grc"], widget=widget, names=[f"Name {size}-{i}" for i in range(size)]
            )
        counts[size] = len(ctx.captured_queries) - 2 * size  # each rename: UPDATE + INSERT
        assert len(linking_statements(ctx)) == 1
    assert counts[1] == counts[12]
    records = list(Widget.history.order_by("chain_seq"))
    assert [r.name for r in records][-3:] == ["Name 12-9", "Name 12-10", "Name 12-11"]
    assert all(b.prev_hash == a.record_hash for a, b in zip(records, records[1:], strict=False))
    assert verify_chain().intact


def test_records_of_a_savepoint_rolled_back_inside_a_write_take_no_place(users):
    widget = widget_create(actor=users["grc"], name="Gadget")

    @audited_write
    def rename_and_try_a_duplicate(*, actor):
        widget.name = "Kept"
        model_save(widget, actor=actor, validate=False)
        with contextlib.suppress(IntegrityError), transaction.atomic():
            twin = Widget(reference="WID-TWIN", name="Twin")
            model_save(twin, actor=actor, validate=False)
            model_save(Widget(reference="WID-TWIN", name="Twin again"), actor=actor, validate=False)
        widget.name = "Kept again"
        return model_save(widget, actor=actor, validate=False)

    before = head_seq()
    rename_and_try_a_duplicate(actor=users["grc"])
    assert head_seq() == before + 2  # the two renames; the twin's record went with its savepoint
    assert not Widget.objects.filter(reference="WID-TWIN").exists()
    assert verify_chain().intact


def test_a_write_whose_batch_cannot_be_linked_leaves_nothing_behind(users, monkeypatch):
    """Linking at the end of a write fails inside the write's transaction, so a careless caller
    that swallows the error still commits nothing of it."""
    widget = widget_create(actor=users["grc"], name="Credit scoring")
    before = Widget.history.count()

    class LinkFailed(Exception):
        pass

    def fail(*args, **kwargs):
        raise LinkFailed

    monkeypatch.setattr(chain, "compute_hash", fail)
    with transaction.atomic(), contextlib.suppress(LinkFailed):
        widget_rename(actor=users["grc"], widget=widget, name="Renamed without history")
    monkeypatch.undo()

    assert Widget.objects.get(pk=widget.pk).name == "Credit scoring"
    assert Widget.history.count() == before
    assert verify_chain().intact
    # Positive control: the same write goes through once linking works.
    widget_rename(actor=users["grc"], widget=widget, name="Renamed")
    assert Widget.history.count() == before + 1
    assert verify_chain().intact


def test_a_service_called_by_another_joins_its_batch(users):
    @audited_write
    def create_two(*, actor):
        return widget_create(actor=actor, name="One"), widget_create(actor=actor, name="Two")

    with CaptureQueriesContext(connection) as ctx:
        create_two(actor=users["grc"])
    assert len(linking_statements(ctx)) == 1
    assert verify_chain().intact


def test_verifying_inside_a_write_sees_its_records_linked(users):
    @audited_write
    def rename_and_verify(*, actor, widget):
        widget.name = "Checked"
        model_save(widget, actor=actor)
        return verify_chain()

    widget = widget_create(actor=users["grc"], name="Gadget")
    report = rename_and_verify(actor=users["grc"], widget=widget)
    assert report.intact and report.head_seq == head_seq()
    assert Widget.history.latest("history_id").chain_seq == report.head_seq


def test_a_record_written_outside_an_audited_write_is_linked_at_once(users):
    widget = widget_create(actor=users["grc"], name="Gadget")
    with transaction.atomic():
        widget.name = "Plain transaction"
        model_save(widget, actor=users["grc"])
        record = Widget.history.latest("history_id")
        assert record.chain_seq == head_seq()  # linked before the transaction ends
    assert verify_chain().intact
