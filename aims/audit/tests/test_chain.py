"""The audit history is complete, attributed, and tamper-evident."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from aims.audit.chain import verify_chain
from aims.audit.context import audit_source
from aims.audit.history import ChainedHistoricalRecord
from inventory import services

# Infrastructure tables that deliberately have no history of their own.
UNAUDITED = {"core.referencecounter", "audit.chainhead", "audit.chainverification"}
PROJECT_APPS = {
    "accounts",
    "core",
    "audit",
    "inventory",
    "incidents",
    "capa",
    "risk",
    "disclosure",
    "reporting",
}


def run_verify(capsys):
    try:
        call_command("verify_audit_chain")
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_every_project_model_has_chained_history():
    missing = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label not in PROJECT_APPS or issubclass(model, ChainedHistoricalRecord):
            continue
        if label in UNAUDITED:
            continue
        history = getattr(model, "history", None)
        if history is None or not issubclass(history.model, ChainedHistoricalRecord):
            missing.append(label)
    assert missing == []


@pytest.mark.django_db
def test_history_records_actor_source_and_field_changes(users, make_system):
    system = make_system(name="Chatbot")
    with audit_source("api"):
        services.system_update(
            actor=users["risk_officer"], system=system, data={"name": "Support chatbot"}
        )
    records = list(system.history.order_by("history_date"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert records[1].history_user == users["risk_officer"]
    assert records[1].source == "api"
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "name"] == [
        ("name", "Chatbot", "Support chatbot")
    ]
    assert all(r.record_hash and len(r.record_hash) == 64 for r in records)


@pytest.mark.django_db
def test_intact_chain_verifies_and_counts_every_record(make_system, capsys):
    make_system()
    make_system()
    report = verify_chain()
    assert report.intact
    assert report.checked == report.head_seq > 0
    code, out = run_verify(capsys)
    assert code == 0
    assert f"{report.checked} records checked" in out


@pytest.mark.django_db
def test_sql_edit_of_a_history_row_is_detected_and_named(users, make_system, capsys):
    system = make_system(name="Fraud detector")
    services.system_update(actor=users["grc"], system=system, data={"name": "Card fraud detector"})
    first = system.history.order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_historicalaisystem SET name = 'Nothing to see' WHERE history_id = %s",
            [first.history_id],
        )
    code, out = run_verify(capsys)
    assert code == 1
    assert f"inventory.historicalaisystem history_id={first.history_id}" in out
    assert "changed" in out


@pytest.mark.django_db
def test_sql_delete_of_a_middle_history_row_is_detected(users, make_system, capsys):
    system = make_system()
    services.system_update(actor=users["grc"], system=system, data={"name": "Renamed once"})
    services.system_update(actor=users["grc"], system=system, data={"name": "Renamed twice"})
    middle = system.history.order_by("history_id")[1]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_historicalaisystem WHERE history_id = %s", [middle.history_id]
        )
    code, out = run_verify(capsys)
    assert code == 1
    assert "missing" in out


@pytest.mark.django_db
def test_sql_delete_of_the_newest_history_row_is_detected(users, make_system, capsys):
    system = make_system()
    services.system_update(actor=users["grc"], system=system, data={"name": "Last change"})
    newest = system.history.order_by("-history_id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_historicalaisystem WHERE history_id = %s", [newest.history_id]
        )
    code, out = run_verify(capsys)
    assert code == 1
    assert "newest records were deleted" in out


@pytest.mark.django_db
def test_history_row_inserted_outside_the_application_is_detected(make_system, capsys):
    system = make_system()
    record = system.history.first()
    forged = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}
    forged.update(history_id=None, chain_seq=None, prev_hash="", record_hash="", name="Forged")
    # A plain insert (no simple-history signal) stands for a row written in SQL.
    type(record).objects.create(**forged)
    code, out = run_verify(capsys)
    assert code == 1
    assert "not in the chain" in out
