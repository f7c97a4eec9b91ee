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
from aims.notify.models import Notification, PageEvent, PagingService
from aims.notify.paging import page_event_process
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


# --- paging --------------------------------------------------------------------------------------


@pytest.fixture
def pager():
    from tests.pager_server import PagerServer

    server = PagerServer()
    service = PagingService.objects.create(
        name="On-call", vendor="pagerduty", api_url=server.url, key="k" * 32
    )
    yield service
    server.close()


@pytest.mark.parametrize("others", [10, 30])
def test_paged_writes_do_not_grow_with_paged_incidents(others, pager, grc, system):
    for _ in range(others):
        _triaged(grc, system, severity=Severity.P0)
    actor, target = fresh(grc), fresh(system)
    incident, _ = budget(
        "incident_create_p0_paged",
        lambda: file_incident(actor, systems=[target], severity=Severity.P0, severity_reason="x"),
    )
    assert PageEvent.objects.filter(dedup_key=incident.reference).count() == 1
    [trigger] = PageEvent.objects.filter(dedup_key=incident.reference)
    now = timezone.now()
    status, _ = budget("page_event_send", lambda: page_event_process(trigger.pk, now=now))
    assert status == "sent"
    actor, incident_now = fresh(grc), fresh(incident)
    budget(
        "incident_transition_triaged_paged",
        lambda: services.incident_transition(actor=actor, incident=incident_now, to=Status.TRIAGED),
    )
    actor, incident_now = fresh(grc), fresh(incident)
    budget(
        "incident_set_severity_paged",
        lambda: services.incident_set_severity(
            actor=actor, incident=incident_now, severity=Severity.P1, reason="fewer affected"
        ),
    )
    add_evidence(incident, grc)
    services.containment_decide(
        actor=grc, incident=incident, option=ContainmentOption.PAUSE, rationale="Human review."
    )
    actor, incident_now = fresh(grc), fresh(incident)
    budget(
        "incident_transition_contained_paged",
        lambda: services.incident_transition(
            actor=actor, incident=incident_now, to=Status.CONTAINED
        ),
    )
    assert list(
        PageEvent.objects.filter(dedup_key=incident.reference).values_list("action", flat=True)
    ) == ["trigger", "acknowledge", "trigger", "resolve"]


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
    """One query finds the items, one UPDATE marks them and one INSERT writes their history
    records, linked into the chain together: twenty cost what one costs."""
    counts = {}
    for size in (1, 20):
        unread = _notifications(users, system, size)
        assert unread.count() == size
        ids = list(unread.values_list("pk", flat=True))
        actor = fresh(users["risk_officer"])
        counts[size], marked, ctx = measure(lambda: notification_mark_read(actor=actor))  # noqa: B023
        assert marked == size and not unread.exists()
        history = Notification.history.filter(id__in=ids, read_at__isnull=False)
        assert history.count() == size  # every read mark has its own history record ...
        assert set(history.values_list("history_user", flat=True)) == {actor.pk}
        check(f"notification_mark_read_{size}", counts[size], ctx)
    assert counts[20] == counts[1], counts
    assert verify_chain().intact  # ... chained like any other


def test_inbox_mark_read_page_does_not_grow_with_items(client, users, system):
    """The inbox's "mark read" button: the same count for one item as for twenty."""
    client.force_login(users["risk_officer"])
    counts = {}
    for size in (1, 20):
        unread = _notifications(users, system, size)
        counts[size], response, ctx = measure(lambda: client.post("/inbox/read/"))
        assert response.status_code == 302 and not unread.exists()
    assert counts[20] == counts[1], counts
    check("page_inbox_mark_read", counts[1], ctx)


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


def _recurred_capas(users, system, count):
    """CAPAs answering a confirmed root cause whose incident then recurred (flagged rows)."""
    from capa import services as capa
    from capa.tests.factories import capa_data
    from incidents.tests.factories import confirm_root_cause

    grc = users["grc"]
    made = []
    for n in range(count):
        earlier = file_incident(grc, systems=[system], title=f"Recurring {n}")
        confirm_root_cause(earlier, grc, category="distribution_shift")
        made.append(
            capa.capa_create(
                actor=grc,
                data=capa_data(users["engineer"], title=f"Doubted {n}"),
                incidents=[earlier],
            )
        )
        later = file_incident(grc, systems=[system], title=f"Recurred {n}")
        confirm_root_cause(later, grc, category="distribution_shift")
    return made


def test_capa_register_does_not_grow_with_rows(client, users, api_client_for, make_system):
    viewer = users["risk_officer"]
    client.force_login(viewer)
    api = api_client_for(viewer)
    _capas(users, 10)
    _recurred_capas(users, make_system(name="Recurring A"), 1)
    client.get("/capa/")
    small_page, _, ctx = measure(page(client, "/capa/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/capas/"))
    small_flagged, _, _ = measure(page(client, "/capa/?recurred=true"))
    _capas(users, 15)
    doubted = _recurred_capas(users, make_system(name="Recurring B"), 3)
    large_page, response, _ = measure(page(client, "/capa/"))
    large_api, _, _ = measure(page(api, "/api/v1/capas/"))
    large_flagged, flagged, _ = measure(page(client, "/capa/?recurred=true"))
    assert "CAPA-0025" in response.content.decode()
    assert doubted[-1].reference in flagged.content.decode()
    assert (large_page, large_api, large_flagged) == (small_page, small_api, small_flagged), (
        _listing(ctx)
    )
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


# --- disclosure: a system's facts and the supplier notices -------------------------------------


def test_system_facts_update_costs_one_reassessment_per_assessed_open_incident(users, make_system):
    """Saving a system's facts writes the row; each open incident on the system that was
    assessed then costs its own re-assessment and nothing more (unassessed ones cost nothing)."""
    from disclosure import services as disclosure

    counts = {}
    for size in (1, 2, 4):
        made = make_system(name=f"Frontier {size}")
        file_incident(users["grc"], systems=[made], title="Never assessed")
        for n in range(size):
            incident = file_incident(users["grc"], systems=[made], title=f"Assessed {n}")
            disclosure.assessment_refresh(actor=users["dpo"], incident=incident)
        actor, target = fresh(users["grc"]), fresh(made)
        counts[size], facts, ctx = measure(
            lambda: disclosure.system_facts_update(
                actor=actor,  # noqa: B023
                system=target,  # noqa: B023
                data={"frontier_developer": True},
            )
        )
        assert facts.frontier_developer
        if size == 1:
            check("disclosure_system_facts_update", counts[1], ctx)
    per_incident = counts[2] - counts[1]
    assert counts[4] - counts[1] == 3 * per_incident, counts
    check("disclosure_system_facts_update_per_incident", per_incident)


def test_system_facts_reads(client, users, system, api_client_for):
    grc = users["grc"]
    client.force_login(grc)
    api = api_client_for(grc)
    form_url = f"/disclosure/systems/{system.pk}/facts/"
    api_url = f"/api/v1/systems/{system.pk}/disclosure-facts/"
    client.get(form_url)
    page_count, _, ctx = measure(page(client, form_url))
    api_count, _, api_ctx = measure(page(api, api_url))
    check("page_system_disclosure_facts", page_count, ctx)
    check("api_system_disclosure_facts", api_count, api_ctx)


def _supplied_incident(users, make_system):
    made = make_system(name="Vendor model", supplier="Acme Models Ltd")
    return made, file_incident(users["grc"], systems=[made])


def test_vendor_notice_writes(users, make_system):
    from disclosure import services as disclosure

    made, incident = _supplied_incident(users, make_system)
    notice, _ = budget(
        "disclosure_vendor_notice_record",
        lambda: disclosure.vendor_notice_record(
            actor=fresh(users["legal"]),
            incident=fresh(incident),
            system=fresh(made),
            data={"basis": "contract", "channel": "e-mail", "content": "Please investigate."},
        ),
    )
    budget(
        "disclosure_vendor_notice_acknowledge",
        lambda: disclosure.vendor_notice_acknowledge(
            actor=fresh(users["legal"]), notice=fresh(notice), vendor_reference="ACME-1"
        ),
    )
    budget(
        "disclosure_vendor_notice_fix",
        lambda: disclosure.vendor_notice_fix(
            actor=fresh(users["legal"]),
            notice=fresh(notice),
            fix_description="Guardrail added",
            fixed_version="2.1",
        ),
    )


def test_the_incident_page_does_not_grow_with_supplier_notices(client, users, make_system):
    from disclosure import services as disclosure

    made, incident = _supplied_incident(users, make_system)
    url = f"/incidents/{incident.pk}/"
    client.force_login(users["legal"])

    def notify(n):
        for i in range(n):
            disclosure.vendor_notice_record(
                actor=users["legal"],
                incident=incident,
                system=made,
                data={"basis": "courtesy", "channel": "e-mail", "content": f"Notice {i}"},
            )

    notify(1)
    client.get(url)
    small, _, ctx = measure(page(client, url))
    notify(4)
    large, response, _ = measure(page(client, url))
    assert "Notice 3" in response.content.decode()
    assert large == small, _listing(ctx)
    check("page_incident_with_supplier_notices", small, ctx)


# --- risk ---------------------------------------------------------------------------------------


def _risks(users, make_system, count):
    from risk.models import Control
    from risk.tests.factories import treated_risk

    monitoring = Control.objects.get(code="A.6.2.6")
    logs = Control.objects.get(code="A.6.2.8")
    for n in range(count):
        made = make_system(name=f"Risky {n}")
        treated_risk(
            users["grc"],
            controls=[monitoring, logs],
            systems=[made],
            title=f"Risk {n}",
            tags=["gai_confabulation"],
            next_review_date=(timezone.now() + timedelta(days=90)).date(),
        )


def test_risk_register_page_and_api_do_not_grow_with_rows(
    client, users, make_system, api_client_for
):
    client.force_login(users["auditor"])
    api = api_client_for(users["auditor"])
    _risks(users, make_system, 10)
    client.get("/risks/")
    small_page, _, ctx = measure(page(client, "/risks/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/risks/"))
    _risks(users, make_system, 15)  # 25 rows: a full page
    large_page, _, _ = measure(page(client, "/risks/"))
    large_api, _, _ = measure(page(api, "/api/v1/risks/"))
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_risk_register", small_page, ctx)
    check("api_risk_list", small_api, api_ctx)


def test_risk_page_soa_and_evidence_map_do_not_grow(client, users, make_system):
    from risk import services as risk_services
    from risk.models import Control, Risk

    client.force_login(users["auditor"])
    _risks(users, make_system, 1)
    risk = Risk.objects.get()
    control = Control.objects.get(code="A.6.2.6")
    urls = {
        "page_risk": f"/risks/{risk.pk}/",
        "page_soa": "/risks/controls/",
        "page_evidence_map": "/risks/evidence-map/",
        "page_control": f"/risks/controls/{control.pk}/",
    }
    for url in urls.values():
        client.get(url)
    small = {name: measure(page(client, url)) for name, url in urls.items()}
    for n in range(4):
        risk_services.risk_update(actor=users["grc"], risk=risk, data={"title": f"Renamed {n}"})
        incident = file_incident(users["grc"], systems=[make_system(name=f"Linked {n}")])
        risk_services.evidence_link(
            actor=users["grc"], control=control, kind="incident", target_id=incident.pk
        )
    _risks(users, make_system, 3)
    for name, url in urls.items():
        large, _, _ = measure(page(client, url))
        assert large == small[name][0], (name, _listing(small[name][2]))
        check(name, small[name][0], small[name][2])


def test_risk_writes(users, make_system):
    from risk import services as risk_services
    from risk.models import Control
    from risk.tests.factories import risk_data

    grc, officer = users["grc"], users["risk_officer"]
    control = Control.objects.get(code="A.6.2.6")
    system = make_system(name="Claims")
    risk, _ = budget(
        "risk_create",
        lambda: risk_services.risk_create(
            actor=grc,
            data=risk_data(
                grc,
                systems=[system],
                controls=[control],
                inherent_likelihood=4,
                inherent_impact=5,
                treatment="mitigate",
                residual_likelihood=3,
                residual_impact=4,
                tags=["gai_confabulation"],
                next_review_date=(timezone.now() + timedelta(days=90)).date(),
            ),
        ),
    )
    budget(
        "risk_update_rating",
        lambda: risk_services.risk_update(
            actor=grc, risk=fresh(risk), data={"inherent_impact": 4, "title": "Renamed"}
        ),
    )
    budget(
        "risk_transition_assess",
        lambda: risk_services.risk_transition(actor=grc, risk=fresh(risk), to="assessed"),
    )
    budget(
        "risk_transition_treat",
        lambda: risk_services.risk_transition(actor=grc, risk=fresh(risk), to="treated"),
    )
    budget(
        "risk_accept",
        lambda: risk_services.risk_accept(actor=fresh(officer), risk=fresh(risk), rationale="ok"),
    )
    budget(
        "risk_review",
        lambda: risk_services.risk_review(
            actor=grc,
            risk=fresh(risk),
            next_review_date=(timezone.now() + timedelta(days=200)).date(),
        ),
    )
    draft, _ = budget(
        "risk_methodology_draft",
        lambda: risk_services.methodology_draft(actor=fresh(officer), data={"title": "v2"}),
    )
    budget(
        "risk_methodology_approve",
        lambda: risk_services.methodology_approve(actor=fresh(officer), methodology=fresh(draft)),
    )
    budget(
        "soa_statement_update",
        lambda: risk_services.statement_update(
            actor=grc, control=fresh(control), data={"applicability": "applicable"}
        ),
    )
    incident = file_incident(grc, systems=[system])
    budget(
        "soa_evidence_link",
        lambda: risk_services.evidence_link(
            actor=grc, control=fresh(control), kind="incident", target_id=incident.pk
        ),
    )


def test_incident_risk_writes(users, make_system):
    from risk import incident_links
    from risk.models import Control
    from risk.tests.factories import treated_risk

    grc = users["grc"]
    system = make_system(name="Claims")
    incident = file_incident(grc, systems=[system])
    risk = treated_risk(grc, controls=[Control.objects.get(code="A.6.2.6")], systems=[system])
    budget(
        "incident_risk_materialised",
        lambda: incident_links.incident_risk_materialised(
            actor=grc, incident=fresh(incident), risk=fresh(risk), reason="Same failure"
        ),
    )
    budget(
        "incident_risk_rerate",
        lambda: incident_links.incident_risk_rerate(
            actor=grc,
            incident=fresh(incident),
            risk=fresh(risk),
            which="residual",
            likelihood=4,
            impact=4,
            reason="Twice in a week",
        ),
    )
    budget(
        "incident_risk_raise",
        lambda: incident_links.incident_risk_raise(
            actor=grc,
            incident=fresh(incident),
            data={"title": "Stale index", "description": "Not refreshed.", "category": "other"},
        ),
    )


# --- affected individuals and report drafts -------------------------------------------------------


def _individuals_csv(n):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "".join(f"P{i:05d},Person {i},p{i}@example.org,CA,US,email\n" for i in range(n))
    return SimpleUploadedFile(
        "people.csv", ("identifier,name,contact,state,country,channel\n" + rows).encode()
    )


def test_affected_individuals_do_not_grow_with_the_list(users, make_system, client, api_client_for):
    """Upload, bulk status, export, the page and the API list: the same queries for 3 people
    as for 30 (the rows and their history are written in bulk, the page is paginated)."""
    from disclosure import services as disclosure

    dpo = users["dpo"]
    counts = {}
    for size in (3, 30):
        made = make_system(name=f"Intake {size}", hipaa_role="covered_entity")
        incident = file_incident(users["grc"], systems=[made], harm_flags=["phi"])
        disclosure.assessment_refresh(actor=dpo, incident=incident)
        upload_n, _, upload_ctx = measure(
            lambda incident=incident, size=size: disclosure.individuals_upload(
                actor=fresh(dpo), incident=fresh(incident), uploaded_file=_individuals_csv(size)
            )
        )
        chosen = [f"P{i:05d}" for i in range(size - 1)]
        status_n, _, status_ctx = measure(
            lambda incident=incident, chosen=chosen: disclosure.individuals_status_update(
                actor=fresh(dpo),
                incident=fresh(incident),
                status="notified",
                identifiers=chosen,
            )
        )
        client.force_login(dpo)
        base = f"/disclosure/incidents/{incident.pk}/individuals/"
        client.get(base)
        page_n, _, page_ctx = measure(page(client, base))

        def export(base=base):
            response = client.get(base + "export.csv")
            assert response.status_code == 200
            return b"".join(response.streaming_content)

        export_n, content, export_ctx = measure(export)
        assert content.count(b"\n") == size + 1

        def original(base=base):
            response = client.get(base + "file/")
            assert response.status_code == 200
            return b"".join(response.streaming_content)

        file_n, _, file_ctx = measure(original)
        api = api_client_for(dpo)
        api_url = f"/api/v1/incidents/{incident.pk}/affected-individuals/people/"
        api.get(api_url)
        api_n, _, api_ctx = measure(page(api, api_url))
        counts[size] = (upload_n, status_n, page_n, export_n, api_n, file_n)
        contexts = (upload_ctx, status_ctx, page_ctx, export_ctx, api_ctx, file_ctx)
    assert counts[3] == counts[30], counts
    names = (
        "disclosure_individuals_upload",
        "disclosure_individuals_status_bulk",
        "page_disclosure_individuals",
        "disclosure_individuals_export",
        "api_disclosure_individuals_people",
        "disclosure_individuals_file_download",
    )
    for name, count, ctx in zip(names, counts[3], contexts, strict=True):
        check(name, count, ctx)
    assert verify_chain().intact


def test_report_draft_pdf_request(users, make_system):
    from disclosure import services as disclosure
    from reporting import services as reporting

    made = make_system(name="Claims", gdpr_role="controller")
    incident = file_incident(users["grc"], systems=[made], harm_flags=["personal_data_breach"])
    assessment = disclosure.assessment_refresh(actor=users["dpo"], incident=incident)
    draft = disclosure.obligation_draft(
        actor=users["dpo"], obligation=assessment.obligations.get(code="gdpr_art33")
    )
    budget(
        "disclosure_communication_edit",
        lambda: disclosure.communication_edit(
            actor=fresh(users["dpo"]),
            communication=fresh(draft),
            data={"content": draft.content + "\nCompleted."},
        ),
    )
    budget(
        "report_disclosure_draft_request",
        lambda: reporting.disclosure_draft_request(
            actor=fresh(users["legal"]), communication=fresh(draft)
        ),
    )


# --- the learning loop: root cause, scope, remediation ------------------------------------------


def _scope_body(**extra):
    return {
        "period_start": T0 - timedelta(days=2),
        "period_end": T0 - timedelta(days=1),
        "population": 1000,
        "classification_rule": "Empty postcode at scoring.",
        "sample_size": 100,
        "sample_failures": 4,
        "confirmed_count": 40,
        "lower_bound": 30,
        "upper_bound": 55,
        "uncertainty_note": "",
        **extra,
    }


def _analysed_cause(grc, incident, evidence, category="integration_bug"):
    from capa import services as capa

    cause = capa.root_cause_propose(
        actor=grc, incident=incident, category=category, statement="Parser drops postcodes."
    )
    capa.why_add(actor=grc, root_cause=cause, question="Why?", answer="Regex.")
    capa.diagnostic_add(
        actor=grc,
        root_cause=cause,
        method="failing_case_trace",
        description="Trace",
        result="Empty",
        outcome="supports",
    )
    capa.evidence_link(actor=grc, root_cause=cause, evidence=evidence)
    return cause


def test_learning_loop_writes(users, system, make_system):
    from capa import services as capa

    grc = users["grc"]
    incident = _triaged(grc, system)
    evidence = add_evidence(incident, grc)
    cause, _ = budget(
        "capa_root_cause_propose",
        lambda: capa.root_cause_propose(
            actor=fresh(grc),
            incident=fresh(incident),
            category="integration_bug",
            statement="Parser drops postcodes.",
        ),
    )
    budget(
        "capa_root_cause_update",
        lambda: capa.root_cause_update(
            actor=fresh(grc), root_cause=fresh(cause), data={"contributing_factors": "No tests."}
        ),
    )
    budget(
        "capa_why_add",
        lambda: capa.why_add(
            actor=fresh(grc), root_cause=fresh(cause), question="Why?", answer="Regex."
        ),
    )
    budget(
        "capa_diagnostic_add",
        lambda: capa.diagnostic_add(
            actor=fresh(users["engineer"]),
            root_cause=fresh(cause),
            method="failing_case_trace",
            description="Trace",
            result="Empty",
            outcome="supports",
        ),
    )
    budget(
        "capa_evidence_link",
        lambda: capa.evidence_link(
            actor=fresh(users["engineer"]), root_cause=fresh(cause), evidence=fresh(evidence)
        ),
    )
    other = capa.root_cause_propose(
        actor=grc, incident=incident, category="other", statement="Vendor change."
    )
    budget(
        "capa_root_cause_rule_out",
        lambda: capa.root_cause_rule_out(
            actor=fresh(grc), root_cause=fresh(other), reason="Eval set unchanged."
        ),
    )
    budget(
        "capa_root_cause_confirm",
        lambda: capa.root_cause_confirm(actor=fresh(grc), root_cause=fresh(cause)),
    )
    budget(
        "capa_scope_estimate",
        lambda: capa.scope_record(
            actor=fresh(grc),
            incident=fresh(incident),
            data=_scope_body(uncertainty_note="Day 2 pending."),
            confirm=False,
        ),
    )
    budget(
        "capa_scope_confirm",
        lambda: capa.scope_record(
            actor=fresh(grc), incident=fresh(incident), data=_scope_body(), confirm=True
        ),
    )
    item, _ = budget(
        "capa_remediation_item_add",
        lambda: capa.remediation_item_add(
            actor=fresh(grc),
            incident=fresh(incident),
            horizon="immediate",
            kind="rollback",
            description="Roll back.",
            owner=fresh(users["engineer"]),
            due_on=T0.date(),
        ),
    )
    budget(
        "capa_remediation_item_done",
        lambda: capa.remediation_item_done(actor=fresh(users["engineer"]), item=fresh(item)),
    )
    budget(
        "capa_reprocessing_update",
        lambda: capa.reprocessing_update(
            actor=fresh(grc),
            incident=fresh(incident),
            affected_cases=40,
            reprocessed_cases=30,
            outcome_changed_cases=12,
            remaining_cases=10,
        ),
    )
    budget(
        "capa_fix_verify",
        lambda: capa.fix_verify(
            actor=fresh(grc), incident=fresh(incident), verification="Replayed the cases."
        ),
    )
    budget(
        "capa_normal_operation_restore",
        lambda: capa.normal_operation_restore(
            actor=fresh(grc), incident=fresh(incident), note="Traffic back."
        ),
    )
    assert verify_chain().intact


def test_confirming_with_a_recurrence(users, system):
    """Confirming where an earlier incident on the system had the same category: the link and
    the two timeline entries are a fixed number of writes."""
    grc = users["grc"]
    earlier = _triaged(grc, system)
    from capa import services as capa

    capa.root_cause_confirm(
        actor=grc, root_cause=_analysed_cause(grc, earlier, add_evidence(earlier, grc))
    )
    later = _triaged(grc, system)
    cause = _analysed_cause(grc, later, add_evidence(later, grc))
    budget(
        "capa_root_cause_confirm_with_recurrence",
        lambda: capa.root_cause_confirm(actor=fresh(grc), root_cause=fresh(cause)),
    )
    assert later.recurrence_of.count() == 1


def test_incident_page_with_root_causes_does_not_grow(client, users, system):
    """The root-cause section reads a fixed number of queries however many candidates, whys,
    diagnostics, evidence links and plan items there are."""
    from capa import services as capa

    grc = users["grc"]
    incident = _triaged(grc, system)
    evidence = add_evidence(incident, grc)

    def grow(n):
        for k in range(n):
            _analysed_cause(grc, incident, evidence, category="other")
            capa.remediation_item_add(
                actor=grc,
                incident=incident,
                horizon="short_term",
                kind="monitoring",
                description=f"Monitor {k}",
                owner=users["engineer"],
                due_on=T0.date(),
            )

    url = f"/incidents/{incident.pk}/"
    client.force_login(grc)
    grow(1)
    client.get(url)
    small, _, ctx = measure(page(client, url))
    grow(3)
    large, response, _ = measure(page(client, url))
    assert response.content.decode().count('class="root-cause root-cause-') == 4
    assert large == small, _listing(ctx)
    check("page_incident_with_root_causes", small, ctx)


@pytest.mark.parametrize(
    "tail", ["root-causes/", "scope/", "remediation/", "recurrences/"], ids=lambda t: t.strip("/")
)
def test_learning_loop_api_reads(tail, users, system, api_client_for):
    from capa import services as capa

    grc = users["grc"]
    incident = _triaged(grc, system)
    evidence = add_evidence(incident, grc)
    capa.scope_record(actor=grc, incident=incident, data=_scope_body(), confirm=True)
    client = api_client_for(grc)
    url = f"/api/v1/incidents/{incident.pk}/{tail}"

    def grow():
        _analysed_cause(grc, incident, evidence, category="other")
        capa.remediation_item_add(
            actor=grc,
            incident=incident,
            horizon="long_term",
            kind="long_term_fix",
            description="Input validation.",
            owner=grc,
            due_on=T0.date(),
        )

    grow()
    client.get(url)
    small, _, ctx = measure(page(client, url))
    grow()
    grow()
    large, _, _ = measure(page(client, url))
    assert large == small, _listing(ctx)
    check(f"api_capa_{tail.strip('/').replace('-', '_')}", small, ctx)


def _breach(users, make_system, *, systems=1, name="Claims"):
    made = [
        make_system(name=f"{name} {n}", gdpr_role="controller", supplier="Acme Models Ltd")
        for n in range(systems)
    ]
    return file_incident(users["grc"], systems=made, harm_flags=["personal_data_breach"])


def test_assessment_refresh_does_not_grow_with_obligations(users, make_system):
    """Proposing the obligations writes them (and their clocks) in bulk: an assessment of the
    whole rules table costs what one of a few rows costs."""
    from disclosure import services as disclosure
    from disclosure.models import RegimeRule

    def refresh(name):
        made = make_system(
            name=name, gdpr_role="controller", nis2_entity="essential", eu_market=True
        )
        incident = file_incident(
            users["grc"],
            systems=[made],
            harm_flags=["personal_data_breach"],
            severity=Severity.P1,
            severity_reason="Customers hit",
        )
        actor, incident = fresh(users["dpo"]), fresh(incident)
        return measure(lambda: disclosure.assessment_refresh(actor=actor, incident=incident))

    full, assessment, ctx = refresh("Every regime")
    many = assessment.obligations.count()
    owed = count_clocks_of_obligations(assessment)
    kept = list(RegimeRule.objects.order_by("id").values_list("pk", flat=True)[:3])
    kept += list(RegimeRule.objects.filter(code="gdpr_art33").values_list("pk", flat=True))
    RegimeRule.objects.exclude(pk__in=kept).delete()
    few, small, _ = refresh("A few regimes")
    assert small.obligations.count() < many // 3 and many >= 20
    assert owed > count_clocks_of_obligations(small) >= 1, owed  # clocks are started in bulk too
    assert few == full, _listing(ctx)
    check("disclosure_assessment_refresh_p1_nis2", full, ctx)
    assert verify_chain().intact


def count_clocks_of_obligations(assessment) -> int:
    from aims.clocks.models import Clock

    return Clock.objects.filter(
        target_type=ContentType.objects.get_for_model(assessment.obligations.model),
        target_id__in=assessment.obligations.values("pk"),
    ).count()


def test_disclosure_communications(users, make_system):
    """A communication is drafted by the DPO, approved by legal (the plan's approver for a
    regulator) and recorded as sent; none of the three reads more with more systems."""
    from disclosure import services as disclosure

    counts, listings = {}, {}
    data = {
        "audience": "regulator",
        "channel": "e-mail",
        "subject": "Breach notification",
        "content": "What happened and what we did.",
    }
    for size in (1, 4):
        incident = fresh(_breach(users, make_system, systems=size, name=f"Comms {size}"))
        dpo, legal = fresh(users["dpo"]), fresh(users["legal"])
        steps = {
            "draft": lambda: disclosure.communication_draft(
                actor=dpo,  # noqa: B023
                incident=incident,  # noqa: B023
                data=data,
            ),
            "approve": lambda: disclosure.communication_approve(
                actor=legal,  # noqa: B023
                communication=fresh(drafted),  # noqa: B023
            ),
            "send": lambda: disclosure.communication_send(
                actor=dpo,  # noqa: B023
                communication=fresh(drafted),  # noqa: B023
            ),
        }
        for verb, step in steps.items():
            counts[verb, size], result, listings[verb] = measure(step)
            if verb == "draft":
                drafted = result
                assert drafted.approver_role == "legal"
        assert result.status == "sent"
    for verb in ("draft", "approve", "send"):
        assert counts[verb, 4] == counts[verb, 1], (verb, counts)
        check(f"disclosure_communication_{verb}", counts[verb, 1], listings[verb])


def test_disclosure_obligation_draft_does_not_grow_with_systems(users, make_system):
    from disclosure import services as disclosure

    counts = {}
    for size in (1, 4):
        incident = _breach(users, make_system, systems=size, name=f"Draft {size}")
        assessment = disclosure.assessment_refresh(actor=users["dpo"], incident=incident)
        gdpr = assessment.obligations.get(code="gdpr_art33")
        actor = fresh(users["dpo"])
        counts[size], drafted, ctx = measure(
            lambda: disclosure.obligation_draft(actor=actor, obligation=fresh(gdpr))  # noqa: B023
        )
        assert drafted.obligation_id == gdpr.pk and incident.reference in drafted.subject
    assert counts[4] == counts[1], counts
    check("disclosure_obligation_draft", counts[1], ctx)


# --- reporting pages ---------------------------------------------------------------------------


@pytest.fixture
def no_run_cap(settings):
    settings.REPORT_RUNS_PER_USER = 1000


def _review_runs(actor, count, *, offset=0):
    """``count`` review-pack runs of ``actor``, each of another period (so none is joined)."""
    from datetime import date

    from reporting import services as reporting

    for n in range(offset, offset + count):
        start = date(2025, 1, 1) + timedelta(days=n)
        reporting.review_pack_request(actor=actor, start=start, end=start + timedelta(days=30))


def _same_at_two_sizes(name, request, grow):
    """Measure ``request`` (returns a response) after ``grow(2)`` and again after
    ``grow(10)``: the counts must agree."""
    grow(2)
    small, response, ctx = measure(request)
    grow(10)
    large, _, _ = measure(request)
    assert large == small, _listing(ctx)
    check(name, small, ctx)
    return response


def test_reports_index_and_run_page(client, users, no_run_cap):
    grc = users["grc"]
    client.force_login(grc)
    offset = iter(range(0, 1000, 20))
    _same_at_two_sizes(
        "page_reports",
        page(client, "/reports/"),
        lambda n: _review_runs(grc, n, offset=next(offset)),
    )
    run = selectors_runs(grc).first()
    client.get(f"/reports/runs/{run.pk}/")
    budget("page_report_run", page(client, f"/reports/runs/{run.pk}/"))

    def poll():
        response = client.get(f"/reports/runs/{run.pk}/", headers={"HX-Request": "true"})
        assert response.status_code == 200
        return response

    budget("page_report_run_progress", poll)


def selectors_runs(user):
    from reporting.selectors import runs_visible_to

    return runs_visible_to(user)


def _redirects(client, method, url, data=None):
    def go():
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 302, (url, response.status_code)
        assert "/reports/runs/" in response["Location"]
        return response

    return go


def test_case_file_request_does_not_grow_with_the_record(client, users, make_system, no_run_cap):
    grc = users["grc"]
    incident = _triaged(grc, make_system(name="Case"))
    client.force_login(users["risk_officer"])
    url = f"/reports/incidents/{incident.pk}/case-file.pdf"

    def grow(n):
        from reporting.models import ReportRun

        for i in range(n):
            services.note_add(actor=grc, incident=incident, body=f"Note {i}")
        _review_runs(users["risk_officer"], n, offset=incident.timeline.count() * 10)
        ReportRun.objects.filter(kind="case_file").update(status="done")  # a new run, not a join

    _same_at_two_sizes("page_case_file_request", _redirects(client, "get", url), grow)


def test_register_export_pages_do_not_grow_with_rows(client, users, make_system, no_run_cap):
    client.force_login(users["grc"])
    counter = iter(range(100))

    def grow(n):
        _populate_named(users, make_system, n, prefix=f"Export {next(counter)}")

    _same_at_two_sizes("page_export_new", page(client, "/reports/exports/new/"), grow)
    formats = iter(["csv", "xlsx"])  # two different requests: neither joins the other

    def post():
        return _redirects(client, "post", "/reports/exports/new/", {"format": next(formats)})()

    _same_at_two_sizes("page_export_request", post, grow)


def _populate_named(users, make_system, count, *, prefix):
    grc = users["grc"]
    for n in range(count):
        file_incident(
            grc,
            systems=[make_system(name=f"{prefix} {n}")],
            severity=Severity.P2,
            severity_reason="x",
            title=f"{prefix} row {n}",
        )


def test_audit_sample_pages_do_not_grow_with_the_population(client, users, make_system, no_run_cap):
    client.force_login(users["auditor"])
    counter = iter(range(100))

    def grow(n):
        _populate_named(users, make_system, n, prefix=f"Sample {next(counter)}")

    _same_at_two_sizes("page_sample_new", page(client, "/reports/samples/new/"), grow)
    seeds = iter([11, 12])

    def post():
        return _redirects(
            client, "post", "/reports/samples/new/", {"size": 2, "seed": next(seeds)}
        )()

    _same_at_two_sizes("page_sample_request", post, grow)


def test_review_pages_do_not_grow(client, users, make_system, no_run_cap):
    viewer = users["risk_officer"]
    client.force_login(viewer)
    counter = iter(range(100))

    def grow(n):
        _populate_named(users, make_system, n, prefix=f"Review {next(counter)}")
        _review_runs(viewer, n, offset=100 + next(counter) * 20)

    _same_at_two_sizes(
        "page_review_dashboard",
        page(client, "/reports/review/dashboard/"),
        grow,
    )
    periods = iter([("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-03-01")])

    def post():
        start, end = next(periods)
        return _redirects(client, "post", "/reports/review/new/", {"start": start, "end": end})()

    _same_at_two_sizes("page_review_pack_request", post, grow)


# --- impact assessments and the risk-register review at closure --------------------------------


def _assessments(users, make_system, count):
    from risk.tests.impact_factories import approved_assessment, draft_assessment

    for n in range(count):
        made = make_system(name=f"Assessed {n}", technical_owner=users["engineer"])
        if n % 2:
            draft_assessment(users["grc"], made)
        else:
            approved_assessment(users["grc"], users["risk_officer"], made)


def test_impact_list_page_and_api_do_not_grow_with_rows(client, users, make_system, api_client_for):
    client.force_login(users["auditor"])
    api = api_client_for(users["auditor"])
    _assessments(users, make_system, 4)
    client.get("/risks/impact/")
    small_page, _, ctx = measure(page(client, "/risks/impact/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/impact-assessments/"))
    _assessments(users, make_system, 8)
    large_page, _, _ = measure(page(client, "/risks/impact/"))
    large_api, _, _ = measure(page(api, "/api/v1/impact-assessments/"))
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_impact_list", small_page, ctx)
    check("api_impact_list", small_api, api_ctx)


def test_impact_page_does_not_grow_with_versions(client, users, make_system):
    from risk.models import ImpactAssessment
    from risk.tests.impact_factories import approved_assessment

    client.force_login(users["auditor"])
    made = make_system(name="Versioned", technical_owner=users["engineer"])
    officers = [users["risk_officer"]]
    approved_assessment(users["grc"], officers[0], made)
    current = ImpactAssessment.objects.get()
    url = f"/risks/impact/{current.pk}/"
    client.get(url)
    small, _, ctx = measure(page(client, url))
    for _ in range(3):
        approved_assessment(users["grc"], officers[0], made)
    large, _, _ = measure(page(client, url))
    assert large == small, _listing(ctx)
    check("page_impact_detail", small, ctx)


def test_impact_writes(users, make_system):
    from risk import services as risk_services
    from risk.tests.impact_factories import complete_data

    grc, officer = users["grc"], users["risk_officer"]
    made = make_system(name="Claims", technical_owner=users["engineer"])
    version = model_version(made, grc, "v1")
    assessment, _ = budget(
        "impact_create",
        lambda: risk_services.impact_create(
            actor=fresh(grc), system=fresh(made), data=complete_data()
        ),
    )
    budget(
        "impact_update",
        lambda: risk_services.impact_update(
            actor=fresh(grc), assessment=fresh(assessment), data={"societal_impact": "Moderate."}
        ),
    )
    budget(
        "impact_submit",
        lambda: risk_services.impact_transition(
            actor=fresh(grc), assessment=fresh(assessment), to="submitted"
        ),
    )
    budget(
        "impact_approve",
        lambda: risk_services.impact_transition(
            actor=fresh(officer), assessment=fresh(assessment), to="approved", reason="Checked."
        ),
    )
    budget(
        "deployment_record_retrain_marks_impact_due",
        lambda: inventory.deployment_record(
            actor=fresh(grc),
            system=fresh(made),
            data={
                "model_version": fresh(version),
                "deployed_at": timezone.now() - timedelta(hours=1),
                "change_type": "retrain",
            },
        ),
    )
    incident = file_incident(grc, systems=[made])
    budget(
        "incident_risk_review_no_change",
        lambda: risk_services.incident_risk_review_record(
            actor=fresh(grc), incident=fresh(incident), outcome="no_change", reason="As rated."
        ),
    )


# --- evidence trails and the consistency check (risk.trail) ------------------------------------


def _gappy_systems(users, make_system, n, *, start=0):
    """``n`` production systems with a gap of most kinds each: an unapproved version deployed
    without a change reference, a rollback without an incident, a threshold changed without
    naming an incident, an open incident with a CAPA, a risk whose review falls due."""
    from capa.tests.factories import raise_capa
    from risk.tests.factories import raise_risk

    grc = users["grc"]
    made = []
    for i in range(start, start + n):
        system = make_system(name=f"Trail {i}", lifecycle_status="production")
        version = model_version(system, grc, label=f"v{i}")
        deploy(system, grc, version)
        deploy(system, grc, version, at=timezone.now(), change_type="rollback")
        rule = inventory.monitoring_rule_create(
            actor=grc,
            system=system,
            data={"metric": f"psi_{i}", "threshold": "0.2", "channel": "alertmanager: ml"},
        )
        inventory.monitoring_rule_update(
            actor=grc, rule=rule, data={"threshold": "0.3", "change_reason": "Too noisy."}
        )
        incident = file_incident(grc, systems=[system])
        raise_capa(grc, users["engineer"], incidents=[incident])
        raise_risk(grc, systems=[system], next_review_date=timezone.localdate() + timedelta(days=1))
        made.append(system)
    return made


def test_consistency_check_page_and_api_do_not_grow_with_the_inventory(
    client, users, make_system, api_client_for
):
    client.force_login(users["auditor"])
    api = api_client_for(users["auditor"])
    first = _gappy_systems(users, make_system, 2)
    incident_at("closed", users["grc"], first[0])  # the entry-not-updated check has rows
    later = timezone.now() + timedelta(days=120)  # CAPAs and reviews overdue
    with time_machine.travel(later):
        client.force_login(users["auditor"])  # a session of that day
        client.get("/risks/consistency/")
        small_page, response, ctx = measure(page(client, "/risks/consistency/"))
        small_api, _, api_ctx = measure(page(api, "/api/v1/consistency/"))
        assert 'data-gap="capa_overdue"' in response.content.decode()
    _gappy_systems(users, make_system, 4, start=2)
    with time_machine.travel(later):
        client.force_login(users["auditor"])
        client.get("/risks/consistency/")
        large_page, response, _ = measure(page(client, "/risks/consistency/"))
        large_api, _, _ = measure(page(api, "/api/v1/consistency/"))
    assert response.content.decode().count('data-gap="rollback_without_incident"') == 6
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_consistency_check", small_page, ctx)
    check("api_consistency_check", small_api, api_ctx)


def test_system_trail_page_and_api_do_not_grow_with_its_records(
    client, users, make_system, api_client_for
):
    from capa.tests.factories import raise_capa

    client.force_login(users["auditor"])
    api = api_client_for(users["auditor"])
    [system] = _gappy_systems(users, make_system, 1)
    urls = {
        "page_system_trail": (client, f"/risks/systems/{system.pk}/trail/"),
        "api_system_trail": (api, f"/api/v1/systems/{system.pk}/trail/"),
    }
    client.get(urls["page_system_trail"][1])
    small = {name: measure(page(c, url)) for name, (c, url) in urls.items()}
    grc = users["grc"]
    for n in range(3):
        version = model_version(system, grc, label=f"extra-{n}")
        deploy(system, grc, version)
        incident = file_incident(grc, systems=[system])
        raise_capa(grc, users["engineer"], incidents=[incident])
    for name, (c, url) in urls.items():
        large, _, _ = measure(page(c, url))
        assert large == small[name][0], (name, _listing(small[name][2]))
        check(name, small[name][0], small[name][2])


# --- exercises and MITRE ATLAS -----------------------------------------------------------------


def test_atlas_catalogue_and_technique_writes(users, system, api_client_for):
    """The catalogue is read in a fixed number of queries; setting an incident's or a risk's
    techniques costs the same for one technique as for several."""
    from incidents.models import AtlasTechnique
    from risk.atlas import risk_set_atlas_techniques
    from risk.tests.factories import raise_risk

    grc = users["grc"]
    client = api_client_for(grc)
    client.get("/api/v1/atlas/")
    count, _, ctx = measure(page(client, "/api/v1/atlas/"))
    check("api_atlas_catalogue", count, ctx)
    ids = ["AML.T0051", "AML.T0054", "AML.T0057"]
    techniques = list(AtlasTechnique.objects.filter(atlas_id__in=ids).order_by("atlas_id"))
    counts = {}
    for n in (1, 3):
        incident = _triaged(grc, system)
        counts[n], _, ctx = measure(
            lambda: services.incident_update(
                actor=grc, incident=incident, data={"atlas_techniques": techniques[:n]}
            )
        )
    assert counts[1] == counts[3], _listing(ctx)
    check("incident_set_atlas_techniques", counts[3], ctx)
    for n in (1, 3):
        risk = raise_risk(grc)
        counts[n], _, ctx = measure(
            lambda: risk_set_atlas_techniques(actor=grc, risk=risk, techniques=techniques[:n])
        )
    assert counts[1] == counts[3], _listing(ctx)
    check("risk_set_atlas_techniques", counts[3], ctx)


def test_risk_atlas_page_and_api_do_not_grow_with_techniques(client, users, api_client_for):
    from incidents.models import AtlasTechnique
    from risk.atlas import risk_set_atlas_techniques
    from risk.tests.factories import raise_risk

    grc = users["grc"]
    risk = raise_risk(grc)
    api = api_client_for(grc)
    client.force_login(grc)
    urls = {
        "page_risk_atlas": (client, f"/risks/{risk.pk}/atlas/"),
        "api_risk_atlas_techniques": (api, f"/api/v1/risks/{risk.pk}/atlas-techniques/"),
    }
    risk_set_atlas_techniques(
        actor=grc, risk=risk, techniques=[AtlasTechnique.objects.get(atlas_id="AML.T0051")]
    )
    for who, url in urls.values():
        who.get(url)
    small = {name: measure(page(who, url)) for name, (who, url) in urls.items()}
    more = AtlasTechnique.objects.filter(atlas_id__startswith="AML.T005")
    risk_set_atlas_techniques(actor=grc, risk=risk, techniques=list(more))
    for name, (who, url) in urls.items():
        large, _, _ = measure(page(who, url))
        assert large == small[name][0], (name, _listing(small[name][2]))
        check(name, small[name][0], small[name][2])


def test_system_trail_pdf_request(users, make_system):
    from reporting import services as reporting

    system = make_system(name="Trail PDF", lifecycle_status="production")
    budget(
        "system_trail_pdf_request",
        lambda: reporting.system_trail_request(actor=fresh(users["auditor"]), system=system),
    )


# --- the management review (clause 9.3) -------------------------------------------------------


def _review_data(**extra):
    today = timezone.localdate()
    return {
        "meeting_date": today,
        "period_start": today.replace(day=1),
        "period_end": today,
        "other_attendees": "Board chair",
        "minutes": "Went through the period.",
        **extra,
    }


def test_management_review_writes_and_pages(client, users, system, api_client_for):
    from capa import services as capa
    from capa.tests.factories import capa_data

    grc = users["grc"]
    for n in range(2):
        file_incident(grc, systems=[system], severity=Severity.P1, severity_reason=f"S{n}")
    review, _ = budget(
        "management_review_create",
        lambda: capa.management_review_create(
            actor=fresh(grc), data=_review_data(attendees=[users["executive"]])
        ),
    )
    budget(
        "management_review_update",
        lambda: capa.management_review_update(
            actor=fresh(grc), review=fresh(review), data={"decisions": "Fund the fix."}
        ),
    )
    budget(
        "management_review_record_two_incidents",
        lambda: capa.management_review_transition(
            actor=fresh(grc), review=fresh(review), to="recorded"
        ),
    )
    budget(
        "management_review_action_add",
        lambda: capa.management_review_action_add(
            actor=fresh(grc), review=fresh(review), data=capa_data(users["ciso"])
        ),
    )
    reader = users["executive"]
    client.force_login(reader)
    api = api_client_for(reader)
    client.get("/capa/management-reviews/")
    small_page, _, ctx = measure(page(client, "/capa/management-reviews/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/management-reviews/"))
    for n in range(4):
        capa.management_review_create(actor=grc, data=_review_data(attendees=[users["ciso"]]))
    large_page, response, _ = measure(page(client, "/capa/management-reviews/"))
    large_api, _, _ = measure(page(api, "/api/v1/management-reviews/"))
    assert "MR-0005" in response.content.decode()
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_management_reviews", small_page, ctx)
    check("api_management_review_list", small_api, api_ctx)
    budget(
        "page_management_review_recorded", page(client, f"/capa/management-reviews/{review.pk}/")
    )
    budget("api_management_review_detail", page(api, f"/api/v1/management-reviews/{review.pk}/"))
    draft = capa.management_review_create(actor=grc, data=_review_data())
    budget("page_management_review_draft", page(client, f"/capa/management-reviews/{draft.pk}/"))


def test_exercises_add_no_query_to_the_home_page_and_evidence_map(client, users, make_system):
    """A closed exercise is readiness evidence on the map in one query for all of them."""
    grc = users["grc"]
    client.force_login(grc)
    urls = ["/", "/risks/evidence-map/"]
    for url in urls:
        client.get(url)
    small = [measure(page(client, url))[0] for url in urls]
    for n in range(2):
        incident_at(Status.CLOSED, grc, make_system(name=f"Drill {n}"), kind="exercise")
    assert [measure(page(client, url))[0] for url in urls] == small


# --- documented information and retention (risk) -----------------------------------------------


def _documents(grc, count, *, start=0):
    from risk import services as risk_services

    made = []
    for n in range(start, start + count):
        document = risk_services.document_create(
            actor=grc, data={"kind": "ai_policy", "title": f"Policy {n}", "owner": grc}
        )
        version = risk_services.version_draft(actor=grc, document=document, body=f"Text {n}")
        risk_services.version_approve(actor=grc, version=version)
        made.append(document)
    return made


def test_document_register_page_and_api_do_not_grow_with_rows(client, users, api_client_for):
    from risk import services as risk_services

    grc = users["grc"]
    risk_services.document_create(
        actor=grc, data={"kind": "incident_procedure", "title": "Procedure", "owner": grc}
    )
    client.force_login(users["auditor"])
    api = api_client_for(users["auditor"])
    _documents(grc, 3)
    client.get("/risks/documents/")
    small_page, _, ctx = measure(page(client, "/risks/documents/"))
    small_api, _, api_ctx = measure(page(api, "/api/v1/documented-information/"))
    _documents(grc, 7, start=3)
    large_page, _, _ = measure(page(client, "/risks/documents/"))
    large_api, _, _ = measure(page(api, "/api/v1/documented-information/"))
    assert (large_page, large_api) == (small_page, small_api), _listing(ctx)
    check("page_document_register", small_page, ctx)
    check("api_document_list", small_api, api_ctx)


def test_document_page_retention_page_and_holds_do_not_grow(client, users, make_system):
    from risk import services as risk_services

    grc = users["grc"]
    (document,) = _documents(grc, 1)
    incident = file_incident(grc, systems=[make_system(name="Held")])
    client.force_login(users["grc"])
    urls = {
        "page_document": f"/risks/documents/{document.pk}/",
        "page_retention": "/risks/retention/",
    }
    for url in urls.values():
        client.get(url)
    small = {name: measure(page(client, url)) for name, url in urls.items()}
    for n in range(3):
        version = risk_services.version_draft(actor=grc, document=document, body=f"More {n}")
        risk_services.version_approve(actor=users["risk_officer"], version=version)
    hold = risk_services.legal_hold_place(actor=grc, incident=incident, reason="Claim")
    risk_services.legal_hold_release(actor=grc, hold=hold, reason="Settled")
    for n in range(2):
        other = file_incident(grc, systems=[make_system(name=f"Held {n}")])
        risk_services.legal_hold_place(actor=grc, incident=other, reason="Claim")
    for name, url in urls.items():
        large, _, _ = measure(page(client, url))
        assert large == small[name][0], (name, _listing(small[name][2]))
        check(name, small[name][0], small[name][2])


def test_document_writes(users, make_system):
    from risk import services as risk_services

    grc, officer = fresh(users["grc"]), fresh(users["risk_officer"])
    document, _ = budget(
        "document_create",
        lambda: risk_services.document_create(
            actor=grc, data={"kind": "ai_policy", "title": "AI policy", "owner": grc}
        ),
    )
    version, _ = budget(
        "document_version_draft",
        lambda: risk_services.version_draft(actor=grc, document=fresh(document), body="Text"),
    )
    budget(
        "document_version_approve",
        lambda: risk_services.version_approve(actor=officer, version=fresh(version)),
    )
    incident = file_incident(grc, systems=[make_system(name="Hold")])
    hold, _ = budget(
        "legal_hold_place",
        lambda: risk_services.legal_hold_place(actor=grc, incident=fresh(incident), reason="Claim"),
    )
    budget(
        "legal_hold_release",
        lambda: risk_services.legal_hold_release(actor=grc, hold=fresh(hold), reason="Settled"),
    )


# --- post-incident reviews --------------------------------------------------------------------


def _open_reviews(users, make_system, count, *, prefix):
    """``count`` reviews as closing their incidents would open them (one system each)."""
    from capa.services.post_incident import review_open_on_close

    grc = users["grc"]
    made = []
    for n in range(count):
        incident = file_incident(grc, systems=[make_system(name=f"{prefix} {n}")], title=f"PIR {n}")
        made.append(
            review_open_on_close(
                incident=incident, actor=grc, source="resolved", target="closed", now=timezone.now()
            )
        )
    return made


def test_review_list_does_not_grow_with_rows(client, users, make_system, api_client_for):
    viewer = users["auditor"]
    client.force_login(viewer)
    api = api_client_for(viewer)
    counter = iter(range(100))

    def grow(n):
        _open_reviews(users, make_system, n, prefix=f"PIR list {next(counter)}")

    _same_at_two_sizes(
        "page_pir_list", page(client, "/capa/post-incident-reviews/?overdue=no"), grow
    )
    _same_at_two_sizes("api_pir_list", page(api, "/api/v1/post-incident-reviews/"), grow)


def test_review_page_does_not_grow_with_systems_or_capas(
    client, users, make_system, api_client_for
):
    from capa import services as capa

    grc = users["grc"]
    [review] = _open_reviews(users, make_system, 1, prefix="PIR page")
    client.force_login(grc)
    api = api_client_for(grc)
    url = f"/capa/post-incident-reviews/{review.pk}/"
    client.get(url)
    small, _, ctx = measure(page(client, url))
    small_api, _, api_ctx = measure(page(api, f"/api/v1/post-incident-reviews/{review.pk}/"))
    for n in range(3):
        services.incident_add_system(
            actor=grc, incident=review.incident, system=make_system(name=f"PIR extra {n}")
        )
        capa.review_raise_capa(
            actor=grc,
            review=review,
            update_kind="process",
            data={
                "action_type": "preventive",
                "title": f"Update {n}",
                "description": "d",
                "horizon": "long_term",
                "owner": users["engineer"],
                "due_at": timezone.now() + timedelta(days=60),
            },
        )
    large, response, _ = measure(page(client, url))
    large_api, _, _ = measure(page(api, f"/api/v1/post-incident-reviews/{review.pk}/"))
    assert "Update 2" in response.content.decode()
    assert (large, large_api) == (small, small_api), _listing(ctx)
    check("page_pir", small, ctx)
    check("api_pir_detail", small_api, api_ctx)


def test_review_writes(users, make_system):
    from capa import services as capa
    from capa.tests.pir_factories import LESSONS

    grc, officer = users["grc"], users["risk_officer"]
    [review] = _open_reviews(users, make_system, 1, prefix="PIR writes")
    budget(
        "pir_update",
        lambda: capa.review_update(actor=fresh(grc), review=fresh(review), data=LESSONS),
    )
    budget(
        "pir_raise_capa",
        lambda: capa.review_raise_capa(
            actor=fresh(grc),
            review=fresh(review),
            update_kind="policy",
            data={
                "action_type": "corrective",
                "title": "Policy",
                "description": "d",
                "horizon": "short_term",
                "owner": fresh(users["engineer"]),
                "due_at": timezone.now() + timedelta(days=20),
            },
        ),
    )
    budget("pir_submit", lambda: capa.review_submit(actor=fresh(grc), review=fresh(review)))
    budget(
        "pir_approve",
        lambda: capa.review_approve(actor=fresh(officer), review=fresh(review), comment="Ok."),
    )


# --- detection: alerts by monitoring rule, threshold changes after incidents ---------------------


def _ruled_alerts(system, grc, n, *, start=0):
    """``n`` monitoring rules on the system, each with an alert that opened an incident."""
    for k in range(start, start + n):
        inventory.monitoring_rule_create(
            actor=grc,
            system=system,
            data={"metric": f"Drift{k}", "threshold": "0.2", "channel": "am"},
        )
    services.alertmanager_receive(
        actor=grc, payload=_delivery(system.reference, range(start, start + n))
    )


def test_detection_reads_and_writes_do_not_grow(client, users, system, api_client_for):
    from incidents.models import AlertLink

    grc = users["grc"]
    _ruled_alerts(system, grc, 2)
    incident = AlertLink.objects.order_by("id").first().incident
    rule = AlertLink.objects.order_by("id").first().monitoring_rule
    api = api_client_for(grc)
    client.force_login(grc)
    urls = {
        "page_system_detection": f"/systems/{system.pk}/",
        "page_incident_detection": incident.get_absolute_url(),
        "api_alert_links": f"/api/v1/alert-links/?system={system.pk}",
        "api_incident_threshold_changes": f"/api/v1/incidents/{incident.pk}/threshold-changes/",
    }
    clients = {name: api if name.startswith("api_") else client for name in urls}
    for name, url in urls.items():
        clients[name].get(url)
    small = {name: measure(page(clients[name], url)) for name, url in urls.items()}

    budget(
        "threshold_change_for_incident",
        lambda: services.threshold_change_for_incident(
            actor=fresh(grc),
            incident=fresh(incident),
            rule=fresh(rule),
            data={"threshold": "0.1", "reason": "caught too late"},
        ),
    )
    _ruled_alerts(system, grc, 6, start=10)
    for n in range(3):
        services.threshold_change_for_incident(
            actor=grc,
            incident=incident,
            rule=rule,
            data={"threshold": f"0.0{n + 2}", "reason": "r"},
        )
    for name, url in urls.items():
        large, _, _ = measure(page(clients[name], url))
        count, _, ctx = small[name]
        assert large == count, f"{name}\n{_listing(ctx)}"
        check(name, count, ctx)


# --- the model registry and W&B ---------------------------------------------------------------


def _registry_model(n):
    from inventory.mlflow_client import RegisteredModel, RegistryVersion

    return RegisteredModel(
        name="scorer",
        aliases={"champion": str(n)},
        versions=[
            RegistryVersion(str(v), run_id=f"run{v}", source=f"s3://m/{v}") for v in range(1, n + 1)
        ],
    )


def _synced(grc, system, n):
    """What a sync of a registry with ``n`` versions leaves (the registry's answer in hand)."""
    from inventory.services import registry

    sync = registry.registry_sync_request(actor=grc, system=system)
    registry._sync_claim(sync.pk)
    return registry._sync_apply(fresh(sync), _registry_model(n))


def test_registry_writes_do_not_grow_when_nothing_changed(grc, users, make_system):
    from inventory.models import ModelRegistryLink
    from inventory.services import registry, wandb

    counts = {}
    for n in (3, 12):
        made = make_system(name=f"Linked {n}")
        ModelRegistryLink.objects.create(
            system=made, tracking_uri="http://127.0.0.1:9", model_name="scorer", linked_by=grc
        )
        actor = fresh(grc)
        made_now = fresh(made)
        sync, _ = budget(
            "registry_sync_request",
            lambda: registry.registry_sync_request(actor=actor, system=made_now),  # noqa: B023
        )
        registry._sync_claim(sync.pk)
        registry._sync_apply(fresh(sync), _registry_model(n))
        again = registry.registry_sync_request(actor=fresh(grc), system=fresh(made))
        registry._sync_claim(again.pk)
        counts[n], done, ctx = measure(
            lambda: registry._sync_apply(fresh(again), _registry_model(n))  # noqa: B023
        )
        assert (done.versions_added, done.versions_updated, done.alias_moves) == (0, 0, 0)
    assert counts[3] == counts[12], _listing(ctx)
    check("registry_sync_unchanged", counts[3], ctx)

    target = make_system(name="W&B system")
    manifest = {
        "version": 1,
        "storagePolicy": "wandb-storage-policy-v1",
        "contents": {"model.bin": {"digest": "tBBnmKyPY7pXyP2XjLl/zQ==", "size": 10}},
    }
    actor = fresh(grc)
    budget(
        "wandb_manifest_import",
        lambda: wandb.wandb_manifest_import(
            actor=actor, system=fresh(target), reference="acme/p/m:v1", manifest=manifest
        ),
    )


@pytest.mark.parametrize("name", ["page_system_registry", "api_registry_sync_log"])
def test_registry_reads_do_not_grow_with_syncs(name, client, users, make_system, api_client_for):
    from inventory.models import ModelRegistryLink

    grc = users["grc"]
    made = make_system(name="Linked")
    ModelRegistryLink.objects.create(
        system=made, tracking_uri="http://127.0.0.1:9", model_name="scorer", linked_by=grc
    )
    _synced(grc, made, 2)
    if name.startswith("api_"):
        client = api_client_for(grc)
        url = f"/api/v1/systems/{made.pk}/registry-sync/"
    else:
        client.force_login(grc)
        url = f"/systems/{made.pk}/"
    client.get(url)
    small, _, ctx = measure(page(client, url))
    for n in range(3, 15):
        _synced(grc, made, n)
    large, _, _ = measure(page(client, url))
    assert large == small, _listing(ctx)
    check(name, small, ctx)


def test_containment_with_a_registry_rollback(grc, users, make_system):
    from inventory.models import ModelRegistryLink

    made = make_system(name="Linked")
    ModelRegistryLink.objects.create(
        system=made, tracking_uri="http://127.0.0.1:9", model_name="scorer", linked_by=grc
    )
    _synced(grc, made, 2)
    incident = _triaged(grc, made)
    add_evidence(incident, grc)
    known_good = made.model_versions.get(registry_version="1")
    actor = fresh(grc)
    budget(
        "containment_decide_registry_rollback",
        lambda: services.containment_decide(
            actor=actor,
            incident=fresh(incident),
            option=ContainmentOption.REROUTE,
            rationale="Back to version 1",
            fallback_version=fresh(known_good),
            move_registry_alias=True,
        ),
    )
