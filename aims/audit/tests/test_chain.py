"""The audit history is complete, attributed, and tamper-evident."""

import threading

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from aims.audit.chain import verify_and_record, verify_chain
from aims.audit.context import audit_source
from aims.audit.history import ChainedHistoricalRecord
from aims.audit.models import ChainHead, ChainVerification
from incidents import services as incident_services
from incidents.tests.factories import file_incident
from inventory import services

PASSWORD = "pw-Secret-123"  # noqa: S105 - the users fixture's test password

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
    # bulk_create is a plain INSERT (no save(), so no link): it stands for a row written in SQL.
    type(record).objects.bulk_create([type(record)(**forged)])
    code, out = run_verify(capsys)
    assert code == 1
    assert "not in the chain" in out


@pytest.mark.django_db(transaction=True)
def test_verification_while_others_write_never_reports_a_break(users, client):
    """Writers commit new history records all the time; a verification running meanwhile must
    judge one consistent state of the chain, never report records as deleted or missing."""
    incident = file_incident(users["grc"])
    writers, notes_each = 3, 40
    errors, barrier = [], threading.Barrier(writers + 2)

    def post_notes(n):
        try:
            barrier.wait()
            for i in range(notes_each):
                incident_services.note_add(
                    actor=users["grc"], incident=incident, body=f"Observation {n}-{i}"
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    def log_in_repeatedly():
        # A login stamps last_login outside any service transaction: its history record is
        # written in autocommit mode, not inside an audited write.
        try:
            barrier.wait()
            for _ in range(notes_each):
                assert client.login(username="engineer", password=PASSWORD)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post_notes, args=(n,)) for n in range(writers)]
    threads.append(threading.Thread(target=log_in_repeatedly))
    for t in threads:
        t.start()
    barrier.wait()
    while any(t.is_alive() for t in threads):
        verify_and_record()
    for t in threads:
        t.join()
    final = verify_and_record()

    assert errors == []
    verdicts = list(ChainVerification.objects.order_by("id"))
    assert [v.problem for v in verdicts if not v.intact] == []
    # The verifications did run while the chain grew, and the last one saw every record.
    assert len({v.head_seq for v in verdicts}) >= 3
    assert final.intact and final.checked == final.head_seq == ChainHead.objects.get().last_seq
