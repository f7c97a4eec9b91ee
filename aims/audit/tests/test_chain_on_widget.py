"""The hash chain over a module's records it knows nothing about (the test-only Widget):
every write is linked, verification says intact, and a change made in SQL is caught."""

import pytest
from django.db import connection

from aims.audit.chain import verify_chain
from tests.testapp.models import Widget
from tests.testapp.services import widget_create, widget_rename

pytestmark = pytest.mark.django_db


def test_widget_history_is_chained_and_verifies(users):
    widget = widget_create(actor=users["grc"], name="Gadget")
    widget_rename(actor=users["grc"], widget=widget, name="Gizmo")
    records = list(Widget.history.order_by("history_id"))
    assert [r.name for r in records] == ["Gadget", "Gizmo"]
    assert all(r.chain_seq and len(r.record_hash) == 64 for r in records)
    assert records[1].prev_hash == records[0].record_hash
    assert records[1].history_user == users["grc"]
    assert verify_chain().intact


def test_a_widget_history_row_changed_in_sql_breaks_the_chain(users):
    widget = widget_create(actor=users["grc"], name="Gadget")
    widget_rename(actor=users["grc"], widget=widget, name="Gizmo")
    assert verify_chain().intact  # the control
    first = Widget.history.order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE testapp_historicalwidget SET name = 'Forged' WHERE history_id = %s",
            [first.history_id],
        )
    report = verify_chain()
    assert not report.intact
    assert "testapp.historicalwidget" in str(
        report.as_dict() if hasattr(report, "as_dict") else report
    )
