"""Exact query counts of every write service and the main pages (the NetBox way).

Each scenario's count is kept in ``query_baselines.json`` and asserted with equality, so a
regression and an improvement both show. After a change that moves a count on purpose,
regenerate the file and review its diff::

    QUERY_BASELINES_UPDATE=1 pytest -p no:xdist tests/test_query_budget.py

Where data can grow (affected systems, timeline entries, rows of a list, alerts in a delivery,
notifications marked read) the scenario is measured at two sizes and the counts must agree, or
grow by exactly the writes each extra row needs.

Measuring: a service runs in its own transaction in production, a test runs inside one. So
before each measurement the actor and the record are read afresh (no cached roles) and what the
clocks remembered for the transaction (policies, calendar) is forgotten; the per-process content
type cache is warm, as in a running server. Counts include the two savepoint queries the
service's own transaction costs inside the test's transaction.
"""

import fcntl
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aims.audit.chain import verify_chain
from aims.clocks.models import BusinessCalendar
from aims.clocks.services import clocks_tick, forget_policy_data
from aims.notify.models import Notification
from aims.notify.services import deliver_due, notification_mark_read
from incidents import services
from incidents.choices import ContainmentOption, Severity, Status, TimelineKind
from incidents.tests.factories import (
    add_evidence,
    deploy,
    file_incident,
    incident_at,
    model_version,
    upload,
)
from inventory import services as inventory

pytestmark = pytest.mark.django_db

BASELINES = Path(__file__).with_name("query_baselines.json")
UPDATE = os.environ.get("QUERY_BASELINES_UPDATE") == "1"
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


# --- measuring ----------------------------------------------------------------------------------


def _baselines() -> dict:
    return json.loads(BASELINES.read_text()) if BASELINES.exists() else {}


def _store(name: str, count: int) -> None:
    with open(Path(tempfile.gettempdir()) / "aims-query-baselines.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _baselines()
        data[name] = count
        BASELINES.write_text(json.dumps(dict(sorted(data.items())), indent=2) + "\n")


def _listing(ctx) -> str:
    return "\n".join(f"{i + 1}. {q['sql'][:200]}" for i, q in enumerate(ctx.captured_queries))


def fresh(obj):
    """The object as a new request or task would load it: no cached relations or roles."""
    return type(obj)._default_manager.get(pk=obj.pk)


def measure(fn):
    """Run ``fn`` as its own transaction would; returns (queries, result, captured)."""
    forget_policy_data()
    ContentType.objects.get_for_models(*apps.get_models())
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result, ctx


def check(name: str, count: int, ctx=None) -> None:
    """The count equals the baseline (or becomes it, with ``QUERY_BASELINES_UPDATE=1``).
    ``QUERY_BUDGET_SHOW=1`` prints each scenario's queries."""
    if os.environ.get("QUERY_BUDGET_SHOW") == "1":
        print(f"\n=== {name}: {count}\n{_listing(ctx) if ctx else ''}")
    if UPDATE:
        _store(name, count)
        return
    expected = _baselines().get(name)
    assert expected is not None, (
        f"no baseline for {name!r} ({count} queries): "
        "run QUERY_BASELINES_UPDATE=1 pytest -p no:xdist tests/test_query_budget.py"
    )
    assert count == expected, (
        f"{name}: {count} queries, the baseline says {expected}. If the change is intended, "
        "regenerate with QUERY_BASELINES_UPDATE=1 and review the diff.\n"
        + (_listing(ctx) if ctx else "")
    )


def budget(name: str, fn):
    count, result, ctx = measure(fn)
    check(name, count, ctx)
    return result, ctx


def touched(ctx, table: str) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if f'"{table}"' in q["sql"]]


# --- data -----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def utc_calendar():
    BusinessCalendar.objects.update(time_zone="UTC")


@pytest.fixture
def grc(users):
    return users["grc"]


@pytest.fixture
def system(make_system, grc):
    made = make_system(name="Support assistant")
    deploy(made, grc, model_version(made, grc, "v1"))
    return made


def _triaged(actor, system, severity=Severity.P2):
    incident = file_incident(actor, systems=[system], severity=severity, severity_reason="Subset")
    return services.incident_transition(actor=actor, incident=incident, to=Status.TRIAGED)


def _alert(system_ref, n, *, status="firing"):
    return {
        "status": status,
        "labels": {"alertname": f"Drift{n}", "ai_system": system_ref, "severity": "warning"},
        "annotations": {"summary": f"Drift on feature {n}"},
        "startsAt": (timezone.now() - timedelta(minutes=5)).isoformat(),
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"fp-{n:04d}",
    }


def _delivery(system_ref, numbers, *, status="firing"):
    return {"version": "4", "alerts": [_alert(system_ref, n, status=status) for n in numbers]}


# --- filing and editing incidents -----------------------------------------------------------------


def test_incident_create_service(users, system):
    actor = fresh(users["engineer"])
    incident, ctx = budget("incident_create", lambda: file_incident(actor))
    assert incident.timeline.get().kind == TimelineKind.CREATED
    assert count_clocks(incident) == 1  # triage, on the cautious P1 clock

    actor = fresh(users["engineer"])
    target = fresh(system)
    incident, _ = budget(
        "incident_create_p1_with_system",
        lambda: file_incident(actor, systems=[target], severity=Severity.P1, severity_reason="x"),
    )
    assert [e.kind for e in incident.timeline.all()] == [
        TimelineKind.CREATED,
        TimelineKind.SYSTEM,
        TimelineKind.SEVERITY,
    ]
    assert count_clocks(incident) == 3  # triage, notify, leadership
    assert verify_chain().intact


def count_clocks(incident) -> int:
    from aims.clocks.services import clocks_of

    return clocks_of(incident).count()


def test_incident_create_api(users, system, api_client_for):
    client = api_client_for(users["engineer"])
    body = {
        "title": "Chatbot gives dosage advice",
        "description": "The support assistant answered a medication dosage question.",
        "detection_source": "user_report",
        "systems": [system.reference],
        "severity": "P1",
        "severity_reason": "Safety",
    }
    response, _ = budget(
        "api_incident_create", lambda: client.post("/api/v1/incidents/", body, format="json")
    )
    assert response.status_code == 201, response.content


def test_title_edit_touches_no_clock(grc, system):
    incident = _triaged(grc, system)
    actor = fresh(grc)
    incident_now = fresh(incident)
    _, ctx = budget(
        "incident_update_title",
        lambda: services.incident_update(
            actor=actor, incident=incident_now, data={"title": "A clearer title"}
        ),
    )
    assert touched(ctx, "clocks_clock") == []
    assert incident.timeline.filter(kind=TimelineKind.UPDATE).exists()  # it did write


def test_severity_change(grc, system):
    incident = _triaged(grc, system)
    actor = fresh(grc)
    incident_now = fresh(incident)
    _, ctx = budget(
        "incident_set_severity",
        lambda: services.incident_set_severity(
            actor=actor, incident=incident_now, severity=Severity.P1, reason="Customers hit"
        ),
    )
    assert touched(ctx, "clocks_clock")  # positive control: a severity change restarts clocks


def test_lead_assignment(grc, users, system):
    incident = _triaged(grc, system)
    actor, lead = fresh(grc), fresh(users["engineer"])
    incident_now = fresh(incident)
    budget(
        "incident_assign_lead",
        lambda: services.incident_assign_lead(actor=actor, incident=incident_now, lead=lead),
    )
    actor, lead = fresh(grc), fresh(users["risk_officer"])
    incident_now = fresh(incident)
    budget(
        "incident_reassign_lead",
        lambda: services.incident_assign_lead(actor=actor, incident=incident_now, lead=lead),
    )


def test_participant_note_system(grc, users, system, make_system):
    incident = _triaged(grc, system)
    actor, person = fresh(grc), fresh(users["dpo"])
    incident_now = fresh(incident)
    budget(
        "participant_add",
        lambda: services.participant_add(
            actor=actor, incident=incident_now, user=person, part="subject_expert"
        ),
    )
    actor = fresh(grc)
    incident_now = fresh(incident)
    budget(
        "note_add",
        lambda: services.note_add(actor=actor, incident=incident_now, body="Checked the logs."),
    )
    other = make_system(name="Ranker")
    actor = fresh(grc)
    other_now = fresh(other)
    incident_now = fresh(incident)
    budget(
        "incident_add_system",
        lambda: services.incident_add_system(actor=actor, incident=incident_now, system=other_now),
    )


def test_evidence_waiver_containment(grc, users, system):
    incident = _triaged(grc, system)
    actor = fresh(users["risk_officer"])
    incident_now = fresh(incident)
    budget(
        "evidence_waiver_approve",
        lambda: services.evidence_waiver_approve(
            actor=actor, incident=incident_now, reason="Customers are harmed right now."
        ),
    )
    actor = fresh(grc)
    incident_now = fresh(incident)
    budget(
        "containment_decide",
        lambda: services.containment_decide(
            actor=actor,
            incident=incident_now,
            option=ContainmentOption.PAUSE,
            rationale="Human review of every decision until fixed.",
        ),
    )
    actor = fresh(grc)
    incident_now = fresh(incident)
    budget(
        "evidence_add",
        lambda: services.evidence_add(
            actor=actor, incident=incident_now, uploaded_file=upload(), kind="sample_io"
        ),
    )


# --- the lifecycle ----------------------------------------------------------------------------


MOVES = [
    (Status.REPORTED, Status.TRIAGED),
    (Status.REPORTED, Status.REJECTED),
    (Status.TRIAGED, Status.CONTAINED),
    (Status.CONTAINED, Status.INVESTIGATING),
    (Status.INVESTIGATING, Status.REMEDIATING),
    (Status.REMEDIATING, Status.RESOLVED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.CLOSED, Status.INVESTIGATING),
]


@pytest.mark.parametrize(("source", "target"), MOVES, ids=[f"{s}-{t}" for s, t in MOVES])
def test_transition(source, target, grc, system):
    incident = incident_at(source, grc, system)
    actor = fresh(grc)
    incident_now = fresh(incident)
    moved, _ = budget(
        f"incident_transition_{source}_{target}",
        lambda: services.incident_transition(
            actor=actor, incident=incident_now, to=target, reason="Test step with a reason."
        ),
    )
    assert moved.status == target
    assert incident.timeline.filter(kind=TimelineKind.STATUS).last().data["to"] == target


# --- alert intake -------------------------------------------------------------------------------


def test_alert_intake(users, system):
    poster = users["engineer"]

    def receive(payload):
        actor = fresh(poster)
        return lambda: services.alertmanager_receive(actor=actor, payload=payload)

    summary, _ = budget("alert_new", receive(_delivery(system.reference, [1])))
    assert len(summary["opened"]) == 1
    summary, _ = budget("alert_repeat", receive(_delivery(system.reference, [1])))
    assert len(summary["updated"]) == 1

    sizes = {}
    for size in (5, 6, 50):
        numbers = range(1000 * size, 1000 * size + size)
        new, _, _ = measure(receive(_delivery(system.reference, numbers)))
        repeat, summary, _ = measure(receive(_delivery(system.reference, numbers)))
        assert len(summary["updated"]) == size
        sizes[size] = (new, repeat)
    check("alert_batch_5_new", sizes[5][0])
    check("alert_batch_5_repeat", sizes[5][1])
    # Each alert costs its own writes and nothing more: 50 cost 45 times what the sixth cost.
    for kind in (0, 1):
        per_alert = sizes[6][kind] - sizes[5][kind]
        assert sizes[50][kind] - sizes[5][kind] == 45 * per_alert, sizes
    check("alert_batch_per_new_alert", sizes[6][0] - sizes[5][0])
    check("alert_batch_per_repeat_alert", sizes[6][1] - sizes[5][1])


# --- the protected channel ----------------------------------------------------------------------


def test_protected_report_submit_and_convert(grc, system):
    report_data = {"description": "The hiring assistant ranks older applicants lower."}
    (report, _code), _ = budget(
        "protected_report_submit", lambda: services.protected_report_submit(data=report_data)
    )
    actor = fresh(grc)
    report_now = fresh(report)
    incident, _ = budget(
        "protected_report_convert",
        lambda: services.protected_report_convert(
            actor=actor, report=report_now, system_ids=[system.pk]
        ),
    )
    assert incident.protected_report.pk == report.pk


# --- the inventory ------------------------------------------------------------------------------


def test_inventory_writes(grc, users):
    owner = users["engineer"]
    actor = fresh(grc)
    made, _ = budget(
        "system_create",
        lambda: inventory.system_create(
            actor=actor,
            data={
                "name": "Credit scoring",
                "intended_purpose": "Score loan applications",
                "business_owner": owner,
            },
        ),
    )
    actor = fresh(grc)
    made_now = fresh(made)
    budget(
        "system_update",
        lambda: inventory.system_update(
            actor=actor, system=made_now, data={"description": "Scores applications."}
        ),
    )
    actor = fresh(grc)
    made_now = fresh(made)
    version, _ = budget(
        "model_version_create",
        lambda: inventory.model_version_create(
            actor=actor,
            system=made_now,
            data={"version_label": "v1", "artifact_digest": "sha256:v1"},
        ),
    )
    actor = fresh(grc)
    version_now = fresh(version)
    budget(
        "model_version_approve",
        lambda: inventory.model_version_approve(actor=actor, version=version_now),
    )
    actor = fresh(grc)
    version_now = fresh(version)
    made_now = fresh(made)
    budget(
        "deployment_record",
        lambda: inventory.deployment_record(
            actor=actor,
            system=made_now,
            data={"model_version": version_now, "change_type": "deploy"},
        ),
    )
    actor = fresh(grc)
    made_now = fresh(made)
    rule, _ = budget(
        "monitoring_rule_create",
        lambda: inventory.monitoring_rule_create(
            actor=actor,
            system=made_now,
            data={"metric": "drift_psi", "threshold": "0.250000", "channel": "ml-oncall"},
        ),
    )
    actor = fresh(grc)
    rule_now = fresh(rule)
    budget(
        "monitoring_rule_update",
        lambda: inventory.monitoring_rule_update(
            actor=actor,
            rule=rule_now,
            data={"threshold": "0.200000", "change_reason": "INC-2026-0001 drift went unseen"},
        ),
    )


@pytest.mark.parametrize("open_incidents", [1, 5])
def test_rollback_guard_does_not_grow_with_open_incidents(open_incidents, grc, system):
    for _ in range(open_incidents):
        add_evidence(file_incident(grc, systems=[system]), grc)
    version = system.model_versions.get()
    actor = fresh(grc)
    system_now = fresh(system)
    budget(
        "deployment_record_rollback",
        lambda: inventory.deployment_record(
            actor=actor,
            system=system_now,
            data={"model_version": version, "change_type": "rollback"},
        ),
    )


# --- clocks and notifications -------------------------------------------------------------------


def test_clock_tick_with_nothing_due(grc, system):
    file_incident(grc, systems=[system], severity=Severity.P1, severity_reason="x")
    result, _ = budget("clock_tick_nothing_due", lambda: clocks_tick(now=timezone.now()))
    assert result.clocks_checked == 0


def _notifications(users, system, count):
    """``count`` inbox items for the risk officer: each P1 incident's notification chain is
    escalated to the risk officer an hour after it started."""
    with time_machine.travel(T0, tick=False):
        for _ in range(count):
            file_incident(users["grc"], systems=[system], severity=Severity.P1, severity_reason="x")
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        clocks_tick()
        deliver_due()
    return Notification.objects.filter(recipient=users["risk_officer"], read_at__isnull=True)


def test_mark_notifications_read(users, system):
    """One query finds the items; each then costs exactly its own audited write (the row and
    its chained history record) and nothing else."""
    counts = {}
    for size in (1, 20):
        unread = _notifications(users, system, size)
        assert unread.count() == size
        actor = fresh(users["risk_officer"])
        counts[size], marked, ctx = measure(lambda: notification_mark_read(actor=actor))  # noqa: B023
        assert marked == size and not unread.exists()
        check(f"notification_mark_read_{size}", counts[size], ctx)
    per_item, rest = divmod(counts[20] - counts[1], 19)
    assert rest == 0, counts
    check("notification_mark_read_per_item", per_item)


# --- pages and API reads ------------------------------------------------------------------------


def page(client, url, status=200):
    def get():
        response = client.get(url)
        assert response.status_code == status, (url, response.status_code)
        return response

    return get


def test_incident_page_does_not_grow_with_systems_or_timeline(client, grc, make_system, system):
    incident = _triaged(grc, system)
    url = f"/incidents/{incident.pk}/"
    client.force_login(grc)
    client.get(url)
    small, _, ctx = measure(page(client, url))
    for n in range(4):
        services.incident_add_system(
            actor=grc, incident=incident, system=make_system(name=f"Other {n}")
        )
    for n in range(19):
        services.note_add(actor=grc, incident=incident, body=f"Note {n}")
    large, response, _ = measure(page(client, url))
    assert incident.affected_systems.count() == 5
    assert "Note 18" in response.content.decode()
    assert large == small, _listing(ctx)
    check("page_incident", small, ctx)


PAGES = {
    "page_home": "/",
    "page_register": "/incidents/",
    "page_systems": "/systems/",
    "page_inbox": "/inbox/",
    "page_my_work": "/my-work/",
    "api_incident_list": "/api/v1/incidents/",
    "api_system_list": "/api/v1/systems/",
}


def _populate(users, make_system, count):
    grc = users["grc"]
    for n in range(count):
        made = make_system(name=f"Populated {n}")
        deploy(made, grc, model_version(made, grc, f"v{n}"))
        incident = file_incident(
            grc, systems=[made], severity=Severity.P2, severity_reason="x", title=f"Row {n}"
        )
        services.incident_assign_lead(actor=grc, incident=incident, lead=users["risk_officer"])


@pytest.mark.parametrize("name", sorted(PAGES))
def test_list_pages_do_not_grow_with_rows(name, client, users, make_system, api_client_for):
    viewer = users["risk_officer"]
    url = PAGES[name]
    if name.startswith("api_"):
        client = api_client_for(viewer)
    else:
        client.force_login(viewer)

    def populate(count):
        if name == "page_inbox":  # the inbox grows with notifications
            _notifications(users, make_system(), count)
        else:
            _populate(users, make_system, count)

    populate(2)
    client.get(url)
    small, _, ctx = measure(page(client, url))
    populate(10)
    large, _, _ = measure(page(client, url))
    assert large == small, _listing(ctx)
    check(name, small, ctx)


DETAILS = {
    "page_system": lambda incident, system: f"/systems/{system.pk}/",
    "api_incident_detail": lambda incident, system: f"/api/v1/incidents/{incident.pk}/",
    "api_system_detail": lambda incident, system: f"/api/v1/systems/{system.pk}/",
}


@pytest.mark.parametrize("name", sorted(DETAILS))
def test_detail_reads(name, client, users, system, api_client_for):
    grc = users["grc"]
    incident = _triaged(grc, system)
    url = DETAILS[name](incident, system)
    if name.startswith("api_"):
        client = api_client_for(grc)
    else:
        client.force_login(grc)
    client.get(url)
    small, _, ctx = measure(page(client, url))
    for n in range(5):
        deploy(system, grc, model_version(system, grc, f"v-more-{n}"))
        services.note_add(actor=grc, incident=incident, body=f"Note {n}")
    large, _, _ = measure(page(client, url))
    assert large == small, _listing(ctx)
    check(name, small, ctx)


# --- disclosure --------------------------------------------------------------------------------


def _assessed(users, make_system, n):
    from disclosure import services as disclosure

    for i in range(n):
        made = make_system(name=f"Disclosed {i}", gdpr_role="controller")
        incident = file_incident(
            users["grc"], systems=[made], harm_flags=["personal_data_breach"], title=f"Breach {i}"
        )
        disclosure.incident_facts_update(
            actor=users["dpo"], incident=incident, data={"breach_risk": "risk"}
        )


def test_obligations_page_and_api_do_not_grow_with_rows(client, users, make_system, api_client_for):
    client.force_login(users["legal"])
    api = api_client_for(users["legal"])
    _assessed(users, make_system, 1)
    client.get("/disclosure/obligations/")
    small_page, _, ctx = measure(page(client, "/disclosure/obligations/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/obligations/"))
    _assessed(users, make_system, 3)
    large_page, _, _ = measure(page(client, "/disclosure/obligations/"))
    large_api, _, _ = measure(page(api, "/api/v1/obligations/"))
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_obligations", small_page, ctx)
    check("api_obligation_list", small_api, api_ctx)


def test_disclosure_writes(users, make_system):
    from disclosure import services as disclosure

    made = make_system(name="Claims", gdpr_role="controller")
    incident = file_incident(users["grc"], systems=[made], harm_flags=["personal_data_breach"])
    assessment, _ = budget(
        "disclosure_assessment_refresh",
        lambda: disclosure.assessment_refresh(actor=users["dpo"], incident=fresh(incident)),
    )
    budget(
        "disclosure_facts_update",
        lambda: disclosure.incident_facts_update(
            actor=users["dpo"], incident=fresh(incident), data={"breach_risk": "risk"}
        ),
    )
    gdpr = assessment.obligations.get(code="gdpr_art33")
    budget(
        "disclosure_obligation_confirm",
        lambda: disclosure.obligation_confirm(
            actor=users["dpo"], obligation=fresh(gdpr), applies="yes", reason="Risk to people."
        ),
    )


# --- CAPA records and audit findings -------------------------------------------------------------


def _capas(users, count, *, system=None):
    from capa import services as capa
    from capa.tests.factories import capa_data

    grc = users["grc"]
    made = []
    for n in range(count):
        incident = file_incident(grc, systems=[system] if system else [], title=f"CAPA row {n}")
        item = capa.capa_create(
            actor=grc,
            data=capa_data(users["engineer"], title=f"CAPA row {n}"),
            incidents=[incident],
        )
        capa.effectiveness_check_plan(actor=grc, capa=item, criterion="c", method="m")
        made.append(item)
    return made


def test_capa_register_does_not_grow_with_rows(client, users, api_client_for):
    viewer = users["risk_officer"]
    client.force_login(viewer)
    api = api_client_for(viewer)
    _capas(users, 10)
    client.get("/capa/")
    small_page, _, ctx = measure(page(client, "/capa/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/capas/"))
    _capas(users, 15)
    large_page, response, _ = measure(page(client, "/capa/"))
    large_api, _, _ = measure(page(api, "/api/v1/capas/"))
    assert "CAPA-0025" in response.content.decode()
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_capa_register", small_page, ctx)
    check("api_capa_list", small_api, api_ctx)


def test_capa_page_does_not_grow_with_evidence_or_links(client, users, api_client_for):
    from capa import services as capa
    from capa.tests.factories import proof

    grc = users["grc"]
    [item] = _capas(users, 1)
    client.force_login(grc)
    url = f"/capa/{item.pk}/"
    client.get(url)
    small, _, ctx = measure(page(client, url))
    small_api, _, api_ctx = measure(page(api_client_for(grc), f"/api/v1/capas/{item.pk}/"))
    for n in range(3):
        capa.capa_evidence_add(actor=grc, capa=item, uploaded_file=proof(name=f"p{n}.txt"))
        capa.capa_link_incident(actor=grc, capa=item, incident=file_incident(grc, title=f"L{n}"))
    large, response, _ = measure(page(client, url))
    large_api, _, _ = measure(page(api_client_for(grc), f"/api/v1/capas/{item.pk}/"))
    assert "p2.txt" in response.content.decode()
    assert (large, large_api) == (small, small_api), _listing(ctx)
    check("page_capa", small, ctx)
    check("api_capa_detail", small_api, api_ctx)


def test_capa_writes(users, system):
    from capa import services as capa
    from capa.tests.factories import capa_data, proof

    grc, owner, officer = users["grc"], users["engineer"], users["risk_officer"]
    incident = file_incident(grc, systems=[system])
    item, _ = budget(
        "capa_create",
        lambda: capa.capa_create(
            actor=fresh(grc), data=capa_data(fresh(owner)), incidents=[fresh(incident)]
        ),
    )
    budget(
        "capa_update",
        lambda: capa.capa_update(actor=fresh(owner), capa=fresh(item), data={"title": "Edited"}),
    )
    budget(
        "capa_update_due_date",
        lambda: capa.capa_update(
            actor=fresh(owner), capa=fresh(item), data={"due_at": item.due_at + timedelta(days=3)}
        ),
    )
    budget(
        "capa_transition_start",
        lambda: capa.capa_transition(actor=fresh(owner), capa=fresh(item), to="in_progress"),
    )
    budget(
        "capa_evidence_add",
        lambda: capa.capa_evidence_add(actor=fresh(owner), capa=fresh(item), uploaded_file=proof()),
    )
    budget(
        "capa_check_plan",
        lambda: capa.effectiveness_check_plan(
            actor=fresh(grc), capa=fresh(item), criterion="No repeat", method="Replay"
        ),
    )
    budget(
        "capa_transition_implemented",
        lambda: capa.capa_transition(actor=fresh(owner), capa=fresh(item), to="implemented"),
    )
    budget(
        "capa_check_record",
        lambda: capa.effectiveness_check_record(
            actor=fresh(officer), capa=fresh(item), result="passed"
        ),
    )
    budget(
        "capa_transition_verified",
        lambda: capa.capa_transition(
            actor=fresh(officer), capa=fresh(item), to="verified_effective"
        ),
    )
    other = file_incident(grc, systems=[system])
    budget(
        "capa_no_capa_decide",
        lambda: capa.no_capa_decide(actor=fresh(grc), incident=fresh(other), reason="Duplicate"),
    )


def _finding_data(**extra):
    return {
        "audit_kind": "internal",
        "audit_reference": "IA-1",
        "classification": "observation",
        "clause": "10.2",
        "title": "t",
        "description": "d",
        "objective_evidence": "e",
        **extra,
    }


def test_finding_writes_and_pages(client, users):
    from capa import services as capa

    grc = users["grc"]
    finding, _ = budget(
        "finding_create", lambda: capa.finding_create(actor=fresh(grc), data=_finding_data())
    )
    budget(
        "finding_update",
        lambda: capa.finding_update(
            actor=fresh(grc), finding=fresh(finding), data={"auditee_response": "Accepted"}
        ),
    )
    budget(
        "finding_transition_close",
        lambda: capa.finding_transition(
            actor=fresh(grc), finding=fresh(finding), to="closed", reason="Noted"
        ),
    )
    client.force_login(users["auditor"])
    client.get("/capa/findings/")
    small, _, ctx = measure(page(client, "/capa/findings/"))
    for n in range(5):
        capa.finding_create(actor=grc, data=_finding_data(title=f"F{n}"))
    large, _, _ = measure(page(client, "/capa/findings/"))
    assert large == small, _listing(ctx)
    check("page_findings", small, ctx)
    budget("page_finding", page(client, f"/capa/findings/{finding.pk}/"))
