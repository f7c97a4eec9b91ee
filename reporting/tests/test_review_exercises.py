"""Exercises stay out of the management-review figures, one test per figure: a month with a
real incident, then the same month with exercises that mirror it (same system, severity, types,
milestones, clocks, notifications and disclosure assessment, one before the period on the same
system). Every figure is unchanged; the exercises are counted once, on their own. The case file
of an exercise is marked on its cover and on every page."""

from datetime import UTC, datetime

import pytest

from disclosure import services as disclosure
from incidents.choices import Kind, Severity, Status
from incidents.models import AtlasTechnique
from reporting.builders.casefile import render_case_file

from .test_case_file import flat, page_count, pdf_text
from .test_review import NOW, PERIOD, H, file, move, notify, prepare
from .test_review import people as people  # noqa: F401 - the fixture, used below

pytestmark = pytest.mark.django_db

FIGURES = [
    "by_severity",
    "by_type",
    "by_system",
    "by_detection_source",
    "trend",
    "mean_times",
    "clocks",
    "open_clocks",
    "near_misses",
    "recurrence",
    "disclosure",
]


def _run(grc, system, moment, **data):
    """An incident (or exercise) through containment to resolution, notified, its disclosure
    assessed: something in every figure."""
    incident = file(
        grc,
        moment,
        systems=[system],
        severity=Severity.P1,
        began=moment - 4 * H,
        types=["bias"],
        **data,
    )
    incident = prepare(incident, grc, moment + H / 6)
    incident = move(incident, grc, moment + H, Status.TRIAGED)
    incident = move(incident, grc, moment + 3 * H, Status.CONTAINED)
    incident = move(incident, grc, moment + 4 * H, Status.INVESTIGATING)
    incident = move(incident, grc, moment + 5 * H, Status.REMEDIATING)
    incident = move(incident, grc, moment + 9 * H, Status.RESOLVED)
    notify(incident, grc, moment + 10 * H, leadership=True)
    disclosure.assessment_refresh(actor=grc, incident=incident)
    return incident


def _figures(user):
    from reporting import selectors

    return selectors.period_metrics(start=PERIOD.start, end=PERIOD.end, user=user, now=NOW)


@pytest.fixture
def month(people, make_system):  # noqa: F811 - the fixture imported above
    grc = people["grc"]
    system = make_system(actor=grc, name="Loan scorer")
    _run(grc, system, datetime(2026, 3, 10, 10, tzinfo=UTC))
    open_one = file(grc, datetime(2026, 3, 20, 10, tzinfo=UTC), systems=[system], severity=2)
    before = _figures(grc)
    # The same again as exercises: one before the period on the same system (it would make the
    # real incident a recurrence), one in the period fully run, one left open (its clocks).
    _run(grc, system, datetime(2026, 2, 20, 10, tzinfo=UTC), kind=Kind.EXERCISE)
    _run(grc, system, datetime(2026, 3, 12, 10, tzinfo=UTC), kind=Kind.EXERCISE)
    file(
        grc,
        datetime(2026, 3, 21, 10, tzinfo=UTC),
        systems=[system],
        severity=Severity.P0,
        kind=Kind.EXERCISE,
    )
    return {"before": before, "after": _figures(grc), "open": open_one}


@pytest.mark.parametrize("figure", FIGURES)
def test_an_exercise_changes_no_figure(month, figure):
    assert month["after"][figure] == month["before"][figure]


def test_the_totals_count_exercises_only_on_their_own(month):
    before, after = month["before"]["totals"], month["after"]["totals"]
    assert after["exercises"] == 2 and before["exercises"] == 0
    for key in ("entries", "incidents", "near_misses", "rejected", "open", "closed", "severe"):
        assert after[key] == before[key], key


def test_the_figures_would_move_if_the_exercises_were_real(month):
    """The fixture is not vacuous: it has something in each figure the exercises could move."""
    before = month["before"]
    assert before["totals"]["entries"] == 2
    assert before["clocks"]["met"] and before["open_clocks"]["open"]
    assert before["disclosure"]["assessments"]["assessed"] == 1
    assert before["mean_times"]["contain"]["incidents"] == 1


def test_the_case_file_of_an_exercise_is_marked_on_every_page(people, make_system):  # noqa: F811
    grc = people["grc"]
    drill = file(
        grc,
        datetime(2026, 3, 12, 10, tzinfo=UTC),
        systems=[make_system(actor=grc)],
        kind=Kind.EXERCISE,
        scenario_note="Tabletop: prompt injection through the browsing tool.",
    )
    from incidents import services

    services.incident_update(
        actor=grc,
        incident=drill,
        data={"atlas_techniques": [AtlasTechnique.objects.get(atlas_id="AML.T0051.001")]},
    )
    text = pdf_text(render_case_file(incident=drill, actor=grc))
    pages = text.split("\f")
    pages = [p for p in pages if p.strip()]
    assert page_count(text) == len(pages) > 1
    assert all("EXERCISE" in page for page in pages)
    body = flat(text)
    assert "not a real incident" in body
    assert "Tabletop: prompt injection through the browsing tool." in body
    assert "AML.T0051.001 Indirect" in body


def test_the_case_file_of_a_real_incident_has_no_exercise_mark(people, make_system):  # noqa: F811
    grc = people["grc"]
    real = file(grc, datetime(2026, 3, 12, 10, tzinfo=UTC), systems=[make_system(actor=grc)])
    assert "EXERCISE" not in pdf_text(render_case_file(incident=real, actor=grc))


def test_the_dashboard_and_the_pack_say_how_many_exercises_were_left_out(month, people):
    from reporting.builders.review_pack import render_review_pack

    text = flat(pdf_text(render_review_pack(period=PERIOD, user=people["grc"], now=NOW)))
    assert "2 exercises (tabletop or simulation) were held in the period" in text
