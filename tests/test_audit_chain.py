"""The audit history is complete, attributed, and tamper-evident."""

import contextlib
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from aims.accounts.models import User
from aims.audit import chain
from aims.audit.chain import history_models, verify_and_record, verify_chain
from aims.audit.context import audit_source
from aims.audit.hashing import RowHasher
from aims.audit.history import ChainedHistoricalRecord
from aims.audit.models import ChainHead, ChainVerification
from aims.core.services import model_save
from incidents import services as incident_services
from incidents.tests.factories import file_incident
from inventory import services
from inventory.models import AISystem

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
            engineer = User.objects.get(username="engineer")
            for _ in range(notes_each):
                client.force_login(engineer)  # stamps last_login, as a sign-in does
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


# Text that needs escaping in JSON, and some that must not be escaped (ensure_ascii=False).
AWKWARD = 'Quote " backslash \\ newline\n tab\t bell\x07 del\x7f \u2028 é 中文 🙂 <b>&amp;'


def streamed_hashes(model) -> dict[int, tuple[str, str]]:
    """history_id -> (hash the verifier computes from the row, hash stored at linking)."""
    hasher = RowHasher(model)
    with connection.cursor() as cursor:
        cursor.execute(hasher.select_sql(), [10**12])
        rows = cursor.fetchall()
    return {row[-4]: (hasher.hash(row, seq=row[-3], prev_hash=row[-2]), row[-1]) for row in rows}


@pytest.mark.django_db
def test_the_verifier_computes_the_hash_linking_computed_for_every_kind_of_record(
    users, make_system
):
    """The verifier renders records in SQL; its hash must equal the reference one byte for byte,
    for awkward text, whole-second and trailing-zero timestamps, JSON, decimals and nulls."""
    whole_second = datetime(2026, 3, 2, 9, 30, 0, 0, tzinfo=UTC)
    trailing_zeros = datetime(2026, 3, 2, 9, 30, 1, 120000, tzinfo=UTC)
    for moment in (whole_second, trailing_zeros):
        with time_machine.travel(moment, tick=False):
            system = make_system(name=AWKWARD[:100], description=AWKWARD)
            incident = file_incident(
                users["grc"],
                systems=[system],
                title=AWKWARD[:200],
                description=AWKWARD,
                detected_at=moment,
                financial_impact_estimate=Decimal("1200.50"),
                decisions_affected_pct=Decimal("0.001"),
                jurisdictions=["EU", "US-CA"],
                links=[{"url": "https://example.org/a?b=1&c=é", "label": AWKWARD}],
                severity=1,
                severity_reason=AWKWARD,
            )
            incident_services.note_add(actor=users["grc"], incident=incident, body=AWKWARD)

    checked = {}
    for model in history_models():
        hashes = streamed_hashes(model)
        assert {hid: pair[0] for hid, pair in hashes.items()} == {
            hid: pair[1] for hid, pair in hashes.items()
        }, model._meta.label_lower
        checked[model._meta.label_lower] = len(hashes)
    for label in ("inventory.historicalaisystem", "incidents.historicalincident"):
        assert checked[label] >= 2
    assert checked["incidents.historicaltimelineentry"] >= 4
    assert checked["clocks.historicalclock"] >= 2
    assert verify_chain().intact

    # Positive control: the streamed hash follows the content.
    record = incident.history.order_by("history_id").first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_historicalincident SET description = description || ' ' "
            "WHERE history_id = %s",
            [record.history_id],
        )
    computed, stored = streamed_hashes(type(record))[record.history_id]
    assert computed != stored


@pytest.mark.django_db
def test_filing_an_incident_links_its_history_records_in_one_step_and_no_savepoint(users):
    """An audited write links the records it wrote together as it ends: one read-back per
    history table and one statement, not three queries a record."""
    file_incident(users["grc"])
    before = ChainHead.objects.get().last_seq
    with CaptureQueriesContext(connection) as ctx:
        incident = file_incident(users["grc"])
    sql = [q["sql"] for q in ctx.captured_queries]
    inserts = [
        i for i, q in enumerate(sql) if q.startswith("INSERT INTO") and "_historical" in q[:60]
    ]
    assert len(inserts) == 3  # the incident, its "created" timeline entry, its triage clock
    head_reads = [i for i, q in enumerate(sql) if 'FROM "audit_chainhead"' in q]
    assert head_reads and all(sql[i].endswith("FOR UPDATE") for i in head_reads)
    assert max(head_reads) < inserts[0]  # the lock is taken first, never again while writing
    links = [
        i for i, q in enumerate(sql) if q.startswith('WITH moved AS (UPDATE "audit_chainhead"')
    ]
    assert len(links) == 1 and links[0] > inserts[-1]
    read_backs = sql[links[0] - 3 : links[0]]
    assert all(q.startswith("SELECT") and "_historical" in q for q in read_backs)
    assert sql[links[0] + 1].startswith("RELEASE SAVEPOINT")  # still inside the write
    # The only savepoint is the service's own transaction (a savepoint inside the test's).
    assert sum(q.startswith("SAVEPOINT") for q in sql) == 1 + sum(
        "_check" in q for q in sql
    )  # Django's check-constraint validation takes one per check

    # The three records took the next three places, in the order they were written.
    assert ChainHead.objects.get().last_seq == before + 3
    assert incident.history.get().chain_seq == before + 1
    assert incident.timeline.get().history.get().chain_seq == before + 2
    assert verify_chain().intact


@pytest.mark.django_db
def test_a_write_whose_history_cannot_be_linked_leaves_nothing_behind(
    users, make_system, monkeypatch
):
    """Linking takes no savepoint of its own, so a failure there dooms the whole transaction,
    even when a caller swallows the error: no change can commit with an unlinked history row."""
    system = make_system(name="Credit scoring")
    before = system.history.count()

    class LinkFailed(Exception):
        pass

    def fail(*args, **kwargs):
        raise LinkFailed

    monkeypatch.setattr(chain, "compute_hash", fail)
    with transaction.atomic():
        system.name = "Renamed without history"
        with contextlib.suppress(LinkFailed):  # a careless caller
            model_save(system, actor=users["grc"])
    monkeypatch.undo()

    assert AISystem.objects.get(pk=system.pk).name == "Credit scoring"
    assert system.history.count() == before
    assert verify_chain().intact
    # Positive control: the same write goes through once linking works.
    services.system_update(actor=users["grc"], system=system, data={"name": "Renamed"})
    assert system.history.count() == before + 1
    assert verify_chain().intact


def forge_copy(record, **changes):
    """A copy of a history record inserted as SQL would insert it (bulk_create: no save())."""
    values = {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}
    values.update(history_id=None, **changes)
    type(record).objects.bulk_create([type(record)(**values)])


@pytest.mark.django_db
def test_a_record_claiming_a_place_another_holds_is_detected(users, make_system):
    system = make_system()
    incident = file_incident(users["grc"])
    assert verify_chain().intact
    taken = system.history.first()
    forge_copy(incident.history.first(), chain_seq=taken.chain_seq, prev_hash=taken.prev_hash)
    report = verify_chain()
    assert not report.intact
    assert report.problem == f"two records claim place {taken.chain_seq} of the chain"
    assert report.checked == taken.chain_seq - 1


@pytest.mark.django_db
def test_a_head_that_does_not_point_at_the_newest_record_is_detected(make_system):
    make_system()
    assert verify_chain().intact
    ChainHead.objects.filter(pk=1).update(last_hash="f" * 64)
    report = verify_chain()
    assert not report.intact and report.problem.startswith("the chain's head does not point")


@pytest.mark.django_db(transaction=True)
def test_a_record_placed_beyond_the_head_is_detected(make_system):
    """Only a snapshot can tell a forged record past the head from one committed a moment ago;
    a verification outside any transaction reads one."""
    system = make_system()
    head = ChainHead.objects.get()
    assert verify_chain().intact
    forge_copy(system.history.first(), chain_seq=head.last_seq + 5, prev_hash=head.last_hash)
    report = verify_chain()
    assert not report.intact
    assert f"claims place {head.last_seq + 5} beyond the chain's head" in report.problem


@pytest.mark.django_db
def test_a_records_own_source_field_is_kept_in_its_history(users, make_system):
    """An obligation's ``source`` is the regulation it comes from; its history records must
    hold that, not where the change came from (web, API), whether written one by one or in bulk."""
    from disclosure import services as disclosure

    made = make_system(name="Claims", gdpr_role="controller")
    incident = file_incident(users["grc"], systems=[made], harm_flags=["personal_data_breach"])
    with audit_source("api"):
        assessment = disclosure.assessment_refresh(actor=users["dpo"], incident=incident)
        gdpr = assessment.obligations.get(code="gdpr_art33")
        disclosure.obligation_confirm(
            actor=users["dpo"], obligation=gdpr, applies="yes", reason="Risk to people."
        )
    assert gdpr.source and gdpr.source != "api"
    records = list(gdpr.history.order_by("history_id"))
    assert [r.history_type for r in records] == ["+", "~"]  # in bulk, then one by one
    assert [r.source for r in records] == [gdpr.source, gdpr.source]
    # Positive control: a model without a field of that name is stamped with the source.
    assert assessment.history.latest("history_id").source == "api"
    assert verify_chain().intact
