"""The management review: figures on a controlled set, the charts, the anonymised PDF pack, the
dashboard, the API, and a bounded number of queries.

Incidents are filed and moved through the real services at controlled times (``time_machine``),
so milestones and clocks are exactly what the lifecycle stamps.
"""

import re
import subprocess
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aims.core.exceptions import PermissionRefused, ValidationFailed
from incidents import services
from incidents.choices import ContainmentOption, DetectionSource, Kind, Severity, Status
from reporting import charts, rules, selectors
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun
from reporting.services import report_execute, review_pack_request

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
PERIOD = rules.Period(date(2026, 3, 1), date(2026, 4, 1))
NOW = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
PLANTED_DESCRIPTION = "PLANTED-DESCRIPTION-7731 reported by Xavier"
PLANTED_TITLE = "TITLE-SECRET-4412 loan model"
PLANTED_NOTE = "NOTE-SECRET-9913 call Zebulon"
DASHBOARD = reverse("reporting:dashboard")
REVIEW_NEW = reverse("reporting:review-new")
METRICS_API = reverse("review-metrics")
PACKS_API = reverse("review-packs")


@contextmanager
def at(moment):
    with time_machine.travel(moment, tick=False):
        yield


def file(actor, moment, *, systems, severity=None, began=None, **data):
    """File an incident at ``moment`` (its detection time)."""
    values = {
        "title": PLANTED_TITLE,
        "description": PLANTED_DESCRIPTION,
        "detection_source": DetectionSource.MONITORING,
        "detected_at": moment,
        **data,
    }
    if began is not None:
        values["failure_began_at"] = began
    with at(moment):
        return services.incident_create(
            actor=actor,
            data=values,
            systems=list(systems),
            severity=severity,
            severity_reason="Initial assessment." if severity is not None else "",
        )


def prepare(incident, actor, moment):
    """Evidence, a containment decision and the notes that resolving needs."""
    with at(moment):
        services.evidence_add(
            actor=actor,
            incident=incident,
            uploaded_file=SimpleUploadedFile("io.csv", b"prompt,response\nhi,bad\n"),
            kind="sample_io",
        )
        services.containment_decide(
            actor=actor,
            incident=incident,
            option=ContainmentOption.PAUSE,
            rationale="Human review until fixed.",
        )
        return services.incident_update(
            actor=actor,
            incident=incident,
            data={"verification_note": "Replayed the failing inputs against the fix."},
        )


def move(incident, actor, moment, to, reason="Step taken in the test."):
    with at(moment):
        return services.incident_transition(actor=actor, incident=incident, to=to, reason=reason)


def notify(incident, actor, moment, *, leadership=False):
    with at(moment):
        services.notification_record(
            actor=actor,
            incident=incident,
            recipients="AI system owner, AI risk officer",
            channel="phone",
            summary="Told them.",
            leadership=leadership,
        )


@pytest.fixture
def people(make_user):
    """Named people whose names must never reach the anonymised pack."""
    return {
        "grc": make_user(
            "grc", username="grc-gwendolyn", first_name="Gwendolyn", last_name="Ashdown"
        ),
        "reporter": make_user(
            "engineer", username="rep-xavier", first_name="Xavier", last_name="Reportington"
        ),
        "lead": make_user(
            "engineer", username="lead-zebulon", first_name="Zebulon", last_name="Quixote"
        ),
        "expert": make_user(
            "dpo", username="exp-ottoline", first_name="Ottoline", last_name="Pemberton"
        ),
        "auditor": make_user(
            "auditor", username="aud-rosalind", first_name="Rosalind", last_name="Fairweather"
        ),
        "executive": make_user("executive", username="exec-bartholomew"),
        "engineer": make_user("engineer", username="eng-ignatius"),
    }


# NOTIFIED_LAST: ``incidents.clocks.sync_clocks`` starts a new notification-chain (and
# leadership) clock on every later lifecycle move once the first one is met, so notifications are
# recorded after the last move here; the figures then hold whether or not that is fixed.


@pytest.fixture
def controlled(people, make_system):
    """A month (March 2026) with known milestones, clocks and recurrences. See the docstring of
    each incident for what it contributes."""
    grc = people["grc"]
    system_a = make_system(actor=grc, name="Loan scorer")
    system_b = make_system(actor=grc, name="Chat assistant")
    system_c = make_system(actor=grc, name="Fraud screen")

    # Outside the period, before it: makes inc3 (system B) a recurrence; its triage clock is open
    # and overdue now. inc8 on system C is older than 90 days: no recurrence for inc7.
    inc6 = file(grc, datetime(2026, 2, 15, 10, tzinfo=UTC), systems=[system_b])
    inc8 = file(grc, datetime(2025, 12, 1, 10, tzinfo=UTC), systems=[system_c])

    # inc1: P1 on A, began 4 h before detection; contained after 3 h, resolved after 9 h.
    # Reported by an engineer, with a lead and a participant.
    t1 = datetime(2026, 3, 2, 10, tzinfo=UTC)
    inc1 = file(
        people["reporter"],
        t1,
        systems=[system_a],
        severity=Severity.P1,
        began=t1 - 4 * H,
        types=["bias", "drift"],
    )
    with at(t1 + 5 * 60 * timedelta(seconds=1)):
        services.incident_assign_lead(actor=grc, incident=inc1, lead=people["lead"])
        services.participant_add(
            actor=grc, incident=inc1, user=people["expert"], part="subject_expert"
        )
        services.note_add(actor=grc, incident=inc1, body=PLANTED_NOTE)
    inc1 = prepare(inc1, grc, t1 + 10 * timedelta(minutes=1))
    inc1 = move(inc1, grc, t1 + H, Status.TRIAGED)
    inc1 = move(inc1, grc, t1 + 3 * H, Status.CONTAINED)
    inc1 = move(inc1, grc, t1 + 4 * H, Status.INVESTIGATING)
    inc1 = move(inc1, grc, t1 + 5 * H, Status.REMEDIATING)
    inc1 = move(inc1, grc, t1 + 9 * H, Status.RESOLVED)
    # Notified last (see NOTIFIED_LAST): the chain late (1 h), leadership on time (24 h).
    notify(inc1, grc, t1 + 9.5 * H, leadership=True)

    # inc2: P1 on A (recurrence of inc1), began 10 h before; triaged late (3 h > 2 h), nobody
    # notified, contained after 5 h, never resolved: triage late, notify/leadership/investigation
    # overdue.
    t2 = datetime(2026, 3, 9, 10, tzinfo=UTC)
    inc2 = file(
        grc,
        t2,
        systems=[system_a],
        severity=Severity.P1,
        began=t2 - 10 * H,
        types=["bias"],
        detection_source=DetectionSource.USER_REPORT,
    )
    inc2 = prepare(inc2, grc, t2 + 10 * timedelta(minutes=1))
    inc2 = move(inc2, grc, t2 + 3 * H, Status.TRIAGED)
    inc2 = move(inc2, grc, t2 + 5 * H, Status.CONTAINED)

    # inc3: P3 near miss on B (recurrence of inc6), no type, triaged within the hour.
    t3 = datetime(2026, 3, 20, 10, tzinfo=UTC)
    inc3 = file(
        grc,
        t3,
        systems=[system_b],
        severity=Severity.P3,
        kind=Kind.NEAR_MISS,
        detection_source=DetectionSource.EMPLOYEE,
    )
    inc3 = move(inc3, grc, t3 + H, Status.TRIAGED)

    # inc4: P2 on A (recurrence): triaged, containment skipped, remediation reached within the
    # investigation's 5 days, notified within 4 h.
    t4 = datetime(2026, 3, 25, 10, tzinfo=UTC)
    inc4 = file(grc, t4, systems=[system_a], severity=Severity.P2, types=["privacy"])
    inc4 = move(inc4, grc, t4 + H, Status.TRIAGED)
    inc4 = move(
        inc4, grc, t4 + 1.5 * H, Status.INVESTIGATING, reason="No traffic: nothing to contain."
    )
    inc4 = move(inc4, grc, t4 + 2 * H, Status.REMEDIATING)
    notify(inc4, grc, t4 + 3 * H)  # within the P2 chain's 4 h

    # Rejected reports: counted apart, never in the figures nor as an earlier incident.
    inc5 = file(grc, datetime(2026, 3, 10, 10, tzinfo=UTC), systems=[system_b])
    inc5 = move(inc5, grc, datetime(2026, 3, 10, 11, tzinfo=UTC), Status.REJECTED, "Not AI.")
    inc9 = file(grc, datetime(2026, 3, 15, 10, tzinfo=UTC), systems=[system_c])
    inc9 = move(inc9, grc, datetime(2026, 3, 15, 11, tzinfo=UTC), Status.REJECTED, "Not AI.")

    # inc7: P3 on C, triaged on time; the only earlier C incidents are too old or rejected.
    t7 = datetime(2026, 3, 28, 10, tzinfo=UTC)
    inc7 = file(
        grc,
        t7,
        systems=[system_c],
        severity=Severity.P3,
        types=["unavailability"],
        detection_source=DetectionSource.THIRD_PARTY,
    )
    inc7 = move(inc7, grc, t7 + H, Status.TRIAGED)

    # After the period, just before "now": its triage clock is open and not yet due.
    inc10 = file(grc, NOW - 30 * timedelta(minutes=1), systems=[system_b])

    return {
        "systems": (system_a, system_b, system_c),
        "incidents": [inc1, inc2, inc3, inc4, inc5, inc6, inc7, inc8, inc9, inc10],
        "in_period": [inc1, inc2, inc3, inc4, inc7],
    }


def figures(user):
    return selectors.period_metrics(start=PERIOD.start, end=PERIOD.end, user=user, now=NOW)


def by_key(rows):
    return {row["key"]: row["count"] for row in rows}


# --- periods ------------------------------------------------------------------------------


def test_periods_parse_and_presets():
    today = date(2026, 5, 14)
    assert rules.parse_period(today=today) == rules.Period(date(2026, 2, 14), date(2026, 5, 15))
    assert rules.parse_period("2026-01-01", "2026-04-01").days == 90
    assert rules.parse_period("2026-01-01", "2026-04-01").granularity == "week"
    assert rules.parse_period("2025-01-01", "2026-01-01").granularity == "month"
    assert rules.parse_period("2016-01-01", "2026-01-01").granularity == "quarter"
    assert rules.preset_period("last_quarter", today=today) == rules.Period(
        date(2026, 1, 1), date(2026, 4, 1)
    )
    assert rules.preset_period("this_quarter", today=today) == rules.Period(
        date(2026, 4, 1), date(2026, 5, 15)
    )
    assert rules.preset_period("last_year", today=today) == rules.Period(
        date(2025, 1, 1), date(2026, 1, 1)
    )
    assert rules.preset_period("this_year", today=today).start == date(2026, 1, 1)
    for start, end in [("2026-13-01", "2026-12-01"), ("2026-04-01", "2026-04-01"), ("x", "")]:
        with pytest.raises(ValidationFailed):
            rules.parse_period(start, end)
    with pytest.raises(ValidationFailed):
        rules.parse_period("2000-01-01", "2026-01-01")


# --- figures ------------------------------------------------------------------------------


def test_counts_by_severity_type_system_and_source(controlled, people):
    m = figures(people["grc"])
    assert m["period"]["start"] == "2026-03-01" and m["period"]["end"] == "2026-04-01"
    assert m["totals"] == {
        "entries": 5,
        "incidents": 4,
        "near_misses": 1,
        "exercises": 0,
        "rejected": 2,
        "open": 5,
        "closed": 0,
        "severe": 2,
    }
    assert m["near_misses"] == 1
    assert by_key(m["by_severity"]) == {"P0": 0, "P1": 2, "P2": 1, "P3": 2}
    assert by_key(m["by_type"]) == {
        "bias": 2,
        "drift": 1,
        "privacy": 1,
        "unavailability": 1,
        "unset": 1,
    }
    assert m["by_type"][0]["key"] == "bias"  # largest first
    system_a, system_b, system_c = controlled["systems"]
    assert [(row["reference"], row["label"], row["count"]) for row in m["by_system"]] == [
        (system_a.reference, "Loan scorer", 3),
        *sorted(
            [(system_b.reference, "Chat assistant", 1), (system_c.reference, "Fraud screen", 1)]
        ),
    ]
    assert by_key(m["by_detection_source"]) == {
        "monitoring": 2,
        "user_report": 1,
        "employee": 1,
        "third_party": 1,
    }


def test_trend_is_weekly_by_severity(controlled, people):
    m = figures(people["grc"])
    assert m["trend"]["granularity"] == "week"
    buckets = {b["start"]: b for b in m["trend"]["buckets"]}
    assert list(buckets) == [
        "2026-02-23",
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
        "2026-03-23",
        "2026-03-30",
    ]
    assert buckets["2026-02-23"]["total"] == 0
    assert buckets["2026-03-02"]["counts"]["P1"] == 1
    assert buckets["2026-03-09"]["counts"]["P1"] == 1
    assert buckets["2026-03-16"]["counts"] == {"P0": 0, "P1": 0, "P2": 0, "P3": 1, "unset": 0}
    assert buckets["2026-03-23"]["counts"] == {"P0": 0, "P1": 0, "P2": 1, "P3": 1, "unset": 0}
    assert sum(b["total"] for b in buckets.values()) == 5


def test_trend_is_monthly_over_a_year(controlled, people):
    m = selectors.period_metrics(
        start=date(2025, 7, 1), end=date(2026, 7, 1), user=people["grc"], now=NOW
    )
    assert m["trend"]["granularity"] == "month"
    months = {b["start"]: b["total"] for b in m["trend"]["buckets"]}
    assert len(months) == 12
    assert months["2025-12-01"] == 1  # inc8
    assert months["2026-02-01"] == 1  # inc6
    assert months["2026-03-01"] == 5
    assert months["2026-04-01"] == 1  # inc10


def test_mean_times_are_exact(controlled, people):
    times = figures(people["grc"])["mean_times"]
    assert times["detect"] == {"hours": 7.0, "incidents": 2}  # (4 h + 10 h) / 2
    assert times["contain"] == {"hours": 4.0, "incidents": 2}  # (3 h + 5 h) / 2
    assert times["resolve"] == {"hours": 9.0, "incidents": 1}


def test_clock_share_is_exact(controlled, people):
    clocks = figures(people["grc"])["clocks"]
    # Met on time: inc1 triage, investigation, leadership; inc3 triage; inc4 triage,
    # investigation, notify; inc7 triage. Late: inc1 notify, inc2 triage. Overdue: inc2 notify,
    # leadership, investigation. Rejected incidents' clocks are not counted.
    assert (clocks["met"], clocks["late"], clocks["overdue"]) == (8, 2, 3)
    assert clocks["breached"] == 5
    assert clocks["running"] == 0
    assert clocks["share_met"] == round(8 / 13, 4)
    kinds = {k["key"]: k for k in clocks["by_kind"]}
    assert (kinds["triage"]["met"], kinds["triage"]["late"], kinds["triage"]["overdue"]) == (
        4,
        1,
        0,
    )
    assert (kinds["notify"]["met"], kinds["notify"]["late"], kinds["notify"]["overdue"]) == (
        1,
        1,
        1,
    )
    assert kinds["notify"]["share_met"] == round(1 / 3, 4)
    assert kinds["leadership"]["share_met"] == 0.5
    assert (kinds["investigation"]["met"], kinds["investigation"]["overdue"]) == (2, 1)


def test_open_and_overdue_clocks_now(controlled, people):
    open_clocks = figures(people["grc"])["open_clocks"]
    kinds = {k["key"]: (k["open"], k["overdue"]) for k in open_clocks["by_kind"]}
    # Triage: inc6 and inc8 overdue, inc10 due in 90 minutes. inc2: notify, leadership,
    # investigation overdue.
    assert kinds == {
        "triage": (3, 2),
        "notify": (1, 1),
        "leadership": (1, 1),
        "investigation": (1, 1),
    }
    assert (open_clocks["open"], open_clocks["overdue"]) == (6, 5)


def test_recurrence_within_90_days_on_the_same_system(controlled, people):
    recurrence = figures(people["grc"])["recurrence"]
    inc1, inc2, inc3, inc4, *_rest = controlled["incidents"]
    system_a, system_b, _c = controlled["systems"]
    assert recurrence["incidents"] == 3
    assert recurrence["share"] == 0.6
    rows = {row["reference"]: row for row in recurrence["by_system"]}
    assert rows[system_a.reference]["incidents"] == [inc2.reference, inc4.reference]
    assert rows[system_b.reference]["incidents"] == [inc3.reference]
    assert set(rows) == {system_a.reference, system_b.reference}  # not C: too old or rejected


def test_figures_follow_visibility(controlled, people, make_system):
    grc = people["grc"]
    restricted = file(
        grc,
        datetime(2026, 3, 12, 10, tzinfo=UTC),
        systems=[controlled["systems"][0]],
        severity=Severity.P0,
        restricted=True,
    )
    assert restricted.restricted
    assert figures(grc)["totals"]["entries"] == 6
    assert figures(people["auditor"])["totals"]["entries"] == 5
    assert figures(people["auditor"])["by_severity"][0] == {
        "key": "P0",
        "label": "P0 — critical",
        "count": 0,
        "share": 0.0,
    }


def test_an_empty_period_has_no_division_by_zero(people):
    m = selectors.period_metrics(
        start=date(2020, 1, 1), end=date(2020, 2, 1), user=people["auditor"], now=NOW
    )
    assert m["totals"]["entries"] == 0
    assert m["clocks"]["share_met"] is None
    assert m["mean_times"]["detect"] == {"hours": None, "incidents": 0}
    assert m["recurrence"]["share"] is None
    assert all(svg.startswith("<svg") for svg in charts.review_charts(m).values())


# --- bounded queries ------------------------------------------------------------------------


def _many(grc, system, count, start):
    for i in range(count):
        file(
            grc,
            start + i * H,
            systems=[system],
            severity=i % 4,
            began=start + i * H - H,
            types=["bias", "drift"][: 1 + i % 2],
        )


def _queries(callable_):
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured)


def test_query_count_does_not_grow_with_incidents(people, make_system, client):
    grc = people["grc"]
    systems = [make_system(actor=grc, name=f"S{i}") for i in range(3)]
    start = datetime(2026, 3, 2, tzinfo=UTC)
    _many(grc, systems[0], 5, start)
    auditor = people["auditor"]
    assert auditor.role_names == {"auditor"}  # read once, as a request does
    client.force_login(auditor)
    url = f"{DASHBOARD}?from=2026-03-01&to=2026-03-31"

    def compute():
        selectors.period_metrics(start=PERIOD.start, end=PERIOD.end, user=auditor, now=NOW)

    compute()  # content types are cached once per process, as in a worker
    few, few_page = _queries(compute), _queries(lambda: client.get(url))
    for system in systems:
        _many(grc, system, 15, start + 10 * H)
    assert figures(auditor)["totals"]["entries"] == 50
    many, many_page = _queries(compute), _queries(lambda: client.get(url))
    # aggregate, systems, trend, clocks, open clocks, recurrence; disclosure: obligations,
    # assessments, communications; learning loop: CAPAs, checks, findings, recurrences, root
    # causes, post-incident reviews; risk: links, their list, closure reviews, impact flags,
    # threshold changes
    assert few == many == 20
    assert few_page == many_page


# --- charts ------------------------------------------------------------------------------


def test_charts_escape_labels_and_carry_no_script(people, make_system, client):
    grc = people["grc"]
    evil = make_system(actor=grc, name="<script>alert(1)</script>")
    file(grc, datetime(2026, 3, 3, 10, tzinfo=UTC), systems=[evil], severity=Severity.P2)
    m = figures(grc)
    svgs = charts.review_charts(m)
    for name, svg in svgs.items():
        assert svg.startswith("<svg"), name
        assert "<script" not in svg.lower(), name
        assert "http://" not in svg.replace("http://www.w3.org/", "").replace(
            "http://pygal.org", ""
        ).replace("http://github.com/Kozea/pygal", ""), name
    assert "&lt;script&gt;alert(1)" in svgs["by_system"]

    client.force_login(grc)
    page = client.get(f"{DASHBOARD}?from=2026-03-01&to=2026-03-31").content.decode()
    assert "<script>alert(1)" not in page
    assert page.count("<svg") == 6
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "duplicate ids on the dashboard"


# --- the PDF pack -----------------------------------------------------------------------------


def pdf_text(path) -> str:
    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


def make_pack(user, period=PERIOD):
    run = review_pack_request(actor=user, start=period.start, end=period.end)
    run = report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    return run


def test_pack_contains_the_figures_and_no_names_or_free_text(controlled, people):
    run = make_pack(people["auditor"])
    assert run.media_type == "application/pdf"
    assert run.file_name == "management-review-20260301-20260331.pdf"
    text = pdf_text(run.file.path)
    flat = re.sub(r"\s+", " ", text)

    assert "1 Mar 2026 – 31 Mar 2026" in flat
    assert "management-review pack" in flat
    assert "Page 1 of" in flat
    assert "for: Auditor" in flat
    assert "Loan scorer" in flat and "Chat assistant" in flat
    system_a = controlled["systems"][0]
    assert system_a.reference in flat
    inc2 = controlled["incidents"][1]
    assert inc2.reference in flat  # recurrence table, by reference
    assert "8 of 13 clocks with an outcome were met on time" in flat
    assert "62%" in flat
    assert "7.0 h" in flat and "4.0 h" in flat and "9.0 h" in flat
    assert "1 near miss was recorded" in flat
    assert "CAPA" in flat

    for person in people.values():
        for name in (person.username, person.first_name, person.last_name):
            if name:
                assert name not in text, name
    for planted in (PLANTED_DESCRIPTION, PLANTED_TITLE, PLANTED_NOTE, "PLANTED", "SECRET"):
        assert planted not in text


def test_pack_is_refused_to_a_role_that_may_not_request_it(controlled, people):
    with pytest.raises(PermissionRefused):
        review_pack_request(actor=people["engineer"])


def test_pack_for_an_empty_period_renders(people):
    run = make_pack(people["executive"], rules.Period(date(2020, 1, 1), date(2020, 4, 1)))
    text = re.sub(r"\s+", " ", pdf_text(run.file.path))
    assert "1 Jan 2020 – 31 Mar 2020" in text
    assert "Nothing in this period" in text


# --- dashboard -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "executive", "grc"])
def test_dashboard_renders_for_allowed_roles(controlled, people, client, role):
    user = {"grc": people["grc"], "auditor": people["auditor"], "executive": people["executive"]}[
        role
    ]
    client.force_login(user)
    response = client.get(DASHBOARD, {"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Management review" in page
    assert "Download the management-review pack (PDF)" in page
    assert 'name="start" value="2026-03-01"' in page
    assert 'name="end" value="2026-04-01"' in page
    assert "Loan scorer" in page
    assert PLANTED_TITLE not in page


def test_dashboard_refuses_other_roles(people, client):
    client.force_login(people["engineer"])
    assert client.get(DASHBOARD).status_code == 403
    assert client.post(REVIEW_NEW, {"start": "2026-03-01", "end": "2026-04-01"}).status_code == 403
    client.logout()
    assert client.get(DASHBOARD).status_code == 302


def test_dashboard_presets_and_bad_custom_dates(people, client):
    client.force_login(people["auditor"])
    page = client.get(DASHBOARD).content.decode()
    assert 'aria-current="true">Last 90 days' in page
    page = client.get(DASHBOARD, {"preset": "last_year"}).content.decode()
    assert 'aria-current="true">Last year' in page
    response = client.get(DASHBOARD, {"from": "2026-05-01", "to": "2026-04-01"})
    assert response.status_code == 200
    assert "must not be after" in response.content.decode()


def test_dashboard_button_requests_the_pack(people, client):
    client.force_login(people["auditor"])
    response = client.post(REVIEW_NEW, {"start": "2026-03-01", "end": "2026-04-01"})
    run = ReportRun.objects.get(kind=ReportKind.REVIEW_PACK)
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:run-detail", args=[run.pk])
    assert run.params == {"start": "2026-03-01", "end": "2026-04-01"}
    assert run.requested_by == people["auditor"]
    response = client.post(REVIEW_NEW, {"start": "2026-04-01", "end": "2026-03-01"})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert ReportRun.objects.count() == 1


def test_reports_page_offers_the_dashboard_to_allowed_roles(people, client):
    client.force_login(people["executive"])
    assert DASHBOARD in client.get(reverse("reporting:reports")).content.decode()
    client.force_login(people["engineer"])
    assert DASHBOARD not in client.get(reverse("reporting:reports")).content.decode()


# --- API --------------------------------------------------------------------------------------


def test_api_metrics(controlled, people, api_client_for):
    response = api_client_for(people["auditor"]).get(
        METRICS_API, {"start": "2026-03-01", "end": "2026-04-01"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["totals"]["entries"] == 5
    assert body["mean_times"]["detect"] == {"hours": 7.0, "incidents": 2}
    assert body["recurrence"]["incidents"] == 3
    assert body["period"]["granularity"] == "week"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-02-30", "end": "2026-04-01"},
        {"start": "yesterday", "end": "2026-04-01"},
        {"start": "2026-04-01", "end": "2026-04-01"},
        {"start": "2026-04-02", "end": "2026-04-01"},
    ],
)
def test_api_metrics_refuses_bad_periods(people, api_client_for, params):
    response = api_client_for(people["auditor"]).get(METRICS_API, params)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


def test_api_refuses_other_roles(people, api_client_for):
    client = api_client_for(people["engineer"])
    assert client.get(METRICS_API).status_code == 403
    assert client.post(PACKS_API, {}, format="json").status_code == 403
    assert api_client_for(None).get(METRICS_API).status_code in (401, 403)


def test_api_requests_a_pack(people, api_client_for):
    response = api_client_for(people["executive"]).post(
        PACKS_API, {"start": "2026-03-01", "end": "2026-04-01"}, format="json"
    )
    assert response.status_code == 202
    body = response.json()
    run = ReportRun.objects.get(pk=body["id"])
    assert body["kind"] == "review_pack" and body["status"] == "queued"
    assert response["Location"] == reverse("report-run-detail", args=[run.pk])
    assert run.params == {"start": "2026-03-01", "end": "2026-04-01"}
    bad = api_client_for(people["executive"]).post(
        PACKS_API, {"start": "2026-03-01", "end": "2026-01-01"}, format="json"
    )
    assert bad.status_code == 400
