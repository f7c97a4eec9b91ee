"""The report-run machinery: one request contract for every kind, coalescing, the per-person cap,
and the lease that lets a run whose worker died be resumed — with controlled time."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from incidents.choices import DetectionSource, Severity
from reporting import registry, services, tasks
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(users, make_system):
    system = make_system(name="Loan scorer")
    return [
        incident_services.incident_create(
            actor=users["grc"],
            data={
                "title": f"Loan scorer rejects applicants {n}",
                "description": "Rejections rose for one postcode.",
                "detection_source": DetectionSource.MONITORING,
            },
            systems=[system],
            severity=Severity.P2,
            severity_reason="A subset of decisions",
        )
        for n in range(3)
    ]


def request_each_kind(actor, incident) -> list[ReportRun]:
    return [
        services.case_file_request(actor=actor, incident=incident),
        services.register_export_request(actor=actor, fmt="csv", params={"q": "loan"}),
        services.audit_sample_request(actor=actor, data={"size": 1, "seed": 7}),
        services.review_pack_request(actor=actor, start="2026-01-01", end="2026-04-01"),
    ]


# --- one contract ----------------------------------------------------------------------------------


def test_every_kind_is_requested_the_same_way(users, incidents, django_capture_on_commit_callbacks):
    """Recorded as queued, for the actor, with its parameters, and queued once after commit."""
    with django_capture_on_commit_callbacks() as callbacks:
        runs = request_each_kind(users["grc"], incidents[0])
    assert [run.kind for run in runs] == [
        ReportKind.CASE_FILE,
        ReportKind.REGISTER_CSV,
        ReportKind.AUDIT_SAMPLE,
        ReportKind.REVIEW_PACK,
    ]
    assert len(callbacks) == 4
    for run in runs:
        run.refresh_from_db()
        assert (run.status, run.requested_by, run.attempts) == (RunStatus.QUEUED, users["grc"], 0)
        assert run.history.first().history_user == users["grc"]
        assert registry.builder_for(run.kind) is not None
    assert runs[0].params == {"incident": incidents[0].pk}
    assert runs[3].params == {"start": "2026-01-01", "end": "2026-04-01"}
    assert set(registry.registered_kinds()) == set(ReportKind.values)


def test_every_kind_checks_permission_first(users, incidents, make_user):
    from aims.core.exceptions import PermissionRefused

    engineer = make_user("engineer")  # sees none of these incidents
    for request in (
        lambda: services.case_file_request(actor=engineer, incident=incidents[0]),
        lambda: services.register_export_request(actor=engineer, fmt="csv", params={}),
        lambda: services.audit_sample_request(actor=engineer, data={"size": 1}),
        lambda: services.review_pack_request(actor=engineer),
    ):
        with pytest.raises(PermissionRefused):
            request()
    assert not ReportRun.objects.filter(requested_by=engineer).exists()
    # Positive control: the register's owner may ask for each.
    assert len(request_each_kind(users["grc"], incidents[0])) == 4


# --- coalescing ------------------------------------------------------------------------------------


def test_identical_requests_in_progress_return_the_same_run(users, incidents, settings):
    settings.REPORT_RUNS_PER_USER = 10
    grc, auditor = users["grc"], users["auditor"]
    first = request_each_kind(grc, incidents[0])
    again = request_each_kind(grc, incidents[0])
    assert [r.pk for r in again] == [r.pk for r in first]
    assert all(r.coalesced for r in again) and not any(r.coalesced for r in first)
    assert ReportRun.objects.count() == 4

    # Different parameters, another person or another incident: a run of its own.
    others = [
        services.register_export_request(actor=grc, fmt="csv", params={"q": "other"}),
        services.register_export_request(actor=grc, fmt="xlsx", params={"q": "loan"}),
        services.case_file_request(actor=grc, incident=incidents[1]),
        services.case_file_request(actor=auditor, incident=incidents[0]),
    ]
    assert not any(r.coalesced for r in others)
    assert ReportRun.objects.count() == 8


def test_a_finished_run_is_not_joined(users, incidents):
    first = services.case_file_request(actor=users["grc"], incident=incidents[0])
    assert services.report_execute(first.pk).status == RunStatus.DONE
    second = services.case_file_request(actor=users["grc"], incident=incidents[0])
    assert second.pk != first.pk and not second.coalesced


def test_coalescing_over_the_api_answers_the_same_run(users, incidents, api_client_for):
    client = api_client_for(users["auditor"])
    body = {"format": "csv", "filters": {"q": "loan"}}
    first = client.post("/api/v1/register-exports/", body, format="json")
    second = client.post("/api/v1/register-exports/", body, format="json")
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"]
    assert ReportRun.objects.filter(requested_by=users["auditor"]).count() == 1


# --- the per-person cap ----------------------------------------------------------------------------


def test_the_cap_refuses_one_more_run_in_progress(users, incidents, settings):
    settings.REPORT_RUNS_PER_USER = 3
    grc = users["grc"]
    for incident in incidents:
        services.case_file_request(actor=grc, incident=incident)
    with pytest.raises(services.ReportRunLimitReached) as refused:
        services.register_export_request(actor=grc, fmt="csv", params={})
    assert refused.value.status_code == 429
    assert "You already have 3 reports queued or being generated" in refused.value.message
    assert ReportRun.objects.filter(requested_by=grc).count() == 3
    # An identical request is still answered (it adds no run), and others are not held back.
    assert services.case_file_request(actor=grc, incident=incidents[0]).coalesced
    services.register_export_request(actor=users["auditor"], fmt="csv", params={})
    # Once one is done there is room again.
    services.report_execute(ReportRun.objects.filter(requested_by=grc).first().pk)
    services.register_export_request(actor=grc, fmt="csv", params={})
    assert ReportRun.objects.filter(requested_by=grc).count() == 4


def test_the_api_answers_429_with_retry_after(users, incidents, api_client_for, settings):
    settings.REPORT_RUNS_PER_USER = 1
    settings.CASE_FILE_WAIT_SECONDS = 0
    client = api_client_for(users["grc"])
    ok = client.get(f"/api/v1/incidents/{incidents[0].pk}/case-file.pdf")
    assert ok.status_code == 202
    for response in (
        client.get(f"/api/v1/incidents/{incidents[1].pk}/case-file.pdf"),
        client.post("/api/v1/register-exports/", {"format": "csv"}, format="json"),
        client.post("/api/v1/review-packs/", {}, format="json"),
        client.post(reverse("audit-sample-list"), {"size": 1}, format="json"),
    ):
        assert response.status_code == 429, response.content
        assert response["Retry-After"] == str(services.RETRY_AFTER_S)
        assert response.json()["code"] == "report_runs_limit"
        assert "Wait until one of them is done" in response.json()["message"]
    assert ReportRun.objects.filter(requested_by=users["grc"]).count() == 1


def test_the_pages_say_why_a_run_was_refused(users, incidents, client, settings):
    settings.REPORT_RUNS_PER_USER = 1
    client.force_login(users["grc"])
    first = client.get(f"/reports/incidents/{incidents[0].pk}/case-file.pdf")
    assert first.status_code == 302 and first["Location"].startswith("/reports/runs/")

    button = client.get(f"/reports/incidents/{incidents[1].pk}/case-file.pdf", follow=True)
    assert button.redirect_chain[-1][0] == incidents[1].get_absolute_url()
    assert "You already have 1 reports queued" in button.content.decode()

    export = client.post("/reports/exports/new/", {"format": "csv"})
    assert export.status_code == 429
    assert "Wait until one of them is done" in export.content.decode()

    sample = client.post("/reports/samples/new/", {"size": 1})
    assert sample.status_code == 429
    assert "Wait until one of them is done" in sample.content.decode()

    review = client.post("/reports/review/new/", {}, follow=True)
    assert "Wait until one of them is done" in review.content.decode()
    assert ReportRun.objects.filter(requested_by=users["grc"]).count() == 1


def test_the_button_joins_the_run_in_progress_and_says_so(users, incidents, client):
    client.force_login(users["grc"])
    url = f"/reports/incidents/{incidents[0].pk}/case-file.pdf"
    first = client.get(url)
    second = client.get(url, follow=True)
    assert second.redirect_chain[0][0] == first["Location"]
    assert "You already asked for this report" in second.content.decode()
    assert ReportRun.objects.filter(requested_by=users["grc"]).count() == 1


# --- the lease -------------------------------------------------------------------------------------


def claimed_and_abandoned(actor, incident) -> ReportRun:
    """A run a worker claimed and then died on: RUNNING, leased, never finished."""
    run = services.case_file_request(actor=actor, incident=incident)
    run, claimed = services._claim(run.pk)
    assert claimed and run.status == RunStatus.RUNNING and run.attempts == 1
    return run


def test_a_run_whose_worker_died_is_resumed_after_its_lease(users, incidents, eager_worker):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = claimed_and_abandoned(users["grc"], incidents[0])
    assert run.lease_expires_at == start + services.LEASE

    # While leased, neither the sweep nor a second delivery of the task touches it.
    with time_machine.travel(start + services.LEASE - timedelta(seconds=1), tick=False):
        assert tasks.sweep_queued() == 0
        assert services.report_execute(run.pk).status == RunStatus.RUNNING
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.RUNNING, 1)

    # After it, the sweep hands it to a worker, which builds it.
    with time_machine.travel(start + services.LEASE + timedelta(seconds=1), tick=False):
        assert tasks.sweep_queued() == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.lease_expires_at) == (RunStatus.DONE, 2, None)
    assert run.sha256 and run.file


def test_progress_renews_the_lease(users, incidents):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = claimed_and_abandoned(users["grc"], incidents[0])
    later = start + services.LEASE - timedelta(seconds=5)
    with time_machine.travel(later, tick=False):
        services.report_progress(run, 1, 2)
    run.refresh_from_db()
    assert run.lease_expires_at == later + services.LEASE
    assert (run.progress_done, run.progress_total) == (1, 2)


def test_a_worker_that_outlived_its_lease_does_not_overwrite_the_resumed_run(users, incidents):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stale = claimed_and_abandoned(users["grc"], incidents[0])
    with time_machine.travel(start + services.LEASE + timedelta(seconds=1), tick=False):
        resumed, claimed = services._claim(stale.pk)
    assert claimed and resumed.attempts == 2
    # The first worker wakes up and reports a failure: dropped, the run stays the second's.
    result = services._finish(stale, message="late")
    assert (result.status, result.attempts, result.message) == (RunStatus.RUNNING, 2, "")
    services.report_progress(stale, 1, 1)
    resumed.refresh_from_db()
    assert resumed.progress_done == 0


def test_a_run_that_keeps_killing_its_worker_fails_after_the_attempts(users, incidents):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = claimed_and_abandoned(users["grc"], incidents[0])
    for attempt in range(2, services.MAX_ATTEMPTS + 2):
        with time_machine.travel(start + attempt * (services.LEASE + timedelta(seconds=1))):
            run, claimed = services._claim(run.pk)
        assert claimed == (attempt <= services.MAX_ATTEMPTS)
    assert run.status == RunStatus.FAILED
    assert f"Generation stopped {services.MAX_ATTEMPTS} times" in run.message


def test_the_sweep_starts_runs_the_broker_never_received(users, incidents, eager_worker):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        run = services.register_export_request(actor=users["grc"], fmt="csv", params={})
    with time_machine.travel(start + tasks.QUEUED_GRACE - timedelta(seconds=1), tick=False):
        assert tasks.sweep_queued() == 0
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    with time_machine.travel(start + tasks.QUEUED_GRACE + timedelta(seconds=1), tick=False):
        assert tasks.sweep_queued() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


# --- time limits -----------------------------------------------------------------------------------


def test_each_kind_is_sent_with_its_time_limits(users, incidents, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.execute_report, "apply_async", lambda **options: sent.append(options))
    assert tasks.dispatch(41, ReportKind.CASE_FILE)
    assert tasks.dispatch(42, ReportKind.REGISTER_CSV)
    case_file, csv = sent
    assert case_file["args"] == [41]
    assert (case_file["soft_time_limit"], case_file["time_limit"]) == (120, 150)
    assert csv["soft_time_limit"] == 30 * 60 and csv["time_limit"] > csv["soft_time_limit"]


def test_a_builder_stopped_at_its_soft_time_limit_fails_with_a_message(
    users, incidents, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    entry = registry.builder_for(ReportKind.CASE_FILE)

    def too_slow(run, progress):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(
        registry._BUILDERS,
        ReportKind.CASE_FILE,
        registry.Builder(kind=entry.kind, build=too_slow, soft_time_limit=entry.soft_time_limit),
    )
    run = services.case_file_request(actor=users["grc"], incident=incidents[0])
    run = services.report_execute(run.pk)
    assert run.status == RunStatus.FAILED
    assert "longer than its limit of 120 seconds" in run.message
    assert run.lease_expires_at is None


# --- query counts ----------------------------------------------------------------------------------


def test_requests_take_a_fixed_number_of_queries(users, incidents):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    grc = users["grc"]
    counts = {}
    for label, request in (
        ("case file", lambda: services.case_file_request(actor=grc, incident=incidents[0])),
        ("joined", lambda: services.case_file_request(actor=grc, incident=incidents[0])),
        ("export", lambda: services.register_export_request(actor=grc, fmt="csv", params={})),
        ("review", lambda: services.review_pack_request(actor=grc)),
    ):
        with CaptureQueriesContext(connection) as ctx:
            request()
        counts[label] = len(ctx.captured_queries)
    # The savepoint and audit-chain lock, the permission and visibility checks, the identical-run
    # lookup, the cap's count, the row and its history record, linked into the chain as the
    # write ends; joining skips the writes.
    assert counts == {"case file": 12, "joined": 5, "export": 10, "review": 10}
