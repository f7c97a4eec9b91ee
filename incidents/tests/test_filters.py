"""The register's FilterSet: each filter keeps the rows its meaning says, each row once, and no
filter makes the database sort the matches to remove duplicates that cannot occur."""

import django_filters
import pytest

from incidents import selectors, services
from incidents.choices import OPEN_STATUSES, Status
from incidents.filters import IncidentFilter
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(users, make_system):
    grc = users["grc"]
    chatbot, scoring = make_system(name="Chatbot"), make_system(name="Scoring")
    both = file_incident(
        grc,
        title="Both systems down",
        systems=[chatbot, scoring],
        severity=1,
        severity_reason="customers affected",
        types=["bias", "performance"],
    )
    services.incident_transition(actor=grc, incident=both, to="triaged")
    services.incident_assign_lead(actor=grc, incident=both, lead=users["risk_officer"])
    file_incident(
        grc,
        title="Chatbot only",
        systems=[chatbot],
        severity=3,
        severity_reason="minor",
        kind="near_miss",
        types=["performance"],
        detection_source="user_report",
    )
    file_incident(grc, title="Scoring only", systems=[scoring], severity=1, severity_reason="x")
    rejected = file_incident(grc, title="No system", detection_source="downstream_metric")
    services.incident_transition(
        actor=grc, incident=rejected, to="rejected", reason="A test of the monitoring"
    )
    return {"chatbot": chatbot, "scoring": scoring, "lead": users["risk_officer"]}


def filtered(user, params):
    return IncidentFilter(params, queryset=selectors.register(user)).qs


def expected_rows(user, keep) -> list[str]:
    rows = selectors.register(user).order_by("-detected_at", "-id")
    return [i.title for i in rows if keep(i)]


def systems_of(incident) -> set:
    return {a.system_id for a in incident.affected_systems.all()}


CASES = {
    "status": ({"status": ["triaged"]}, lambda i, r: i.status == Status.TRIAGED),
    "statuses": (
        {"status": ["triaged", "rejected"]},
        lambda i, r: i.status in (Status.TRIAGED, Status.REJECTED),
    ),
    "severity": ({"severity": ["1"]}, lambda i, r: i.severity == 1),
    "severities": ({"severity": ["1", "3"]}, lambda i, r: i.severity in (1, 3)),
    "severity and status": (
        {"severity": ["1"], "status": ["reported"]},
        lambda i, r: i.severity == 1 and i.status == Status.REPORTED,
    ),
    "detection source": (
        {"detection_source": ["user_report", "downstream_metric"]},
        lambda i, r: i.detection_source in ("user_report", "downstream_metric"),
    ),
    "kind": ({"kind": "near_miss"}, lambda i, r: i.kind == "near_miss"),
    "type": ({"type": "performance"}, lambda i, r: "performance" in i.types),
    "open": ({"state": "open"}, lambda i, r: i.status in OPEN_STATUSES),
    "done": ({"state": "done"}, lambda i, r: i.status not in OPEN_STATUSES),
    "lead": ({"lead": "LEAD"}, lambda i, r: i.lead_id == r["lead"].pk),
    "system": ({"system": "CHATBOT"}, lambda i, r: r["chatbot"].pk in systems_of(i)),
    "system and severity": (
        {"system": "SCORING", "severity": ["1"]},
        lambda i, r: r["scoring"].pk in systems_of(i) and i.severity == 1,
    ),
    "search and system": (
        {"q": "only", "system": "CHATBOT"},
        lambda i, r: "only" in i.title and r["chatbot"].pk in systems_of(i),
    ),
}


def bound(params, register) -> dict:
    names = {"LEAD": register["lead"].pk}
    names |= {"CHATBOT": register["chatbot"].pk, "SCORING": register["scoring"].pk}
    return {k: names.get(v, v) if isinstance(v, str) else v for k, v in params.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_each_filter_keeps_the_rows_it_names_each_once(case, users, register):
    params, keep = CASES[case]
    grc = users["grc"]
    rows = filtered(grc, bound(params, register))
    titles = list(rows.order_by("-detected_at", "-id").values_list("title", flat=True))
    expected = expected_rows(grc, lambda i: keep(i, register))
    assert titles == expected
    assert expected  # every case keeps some rows ...
    assert len(expected) < 4  # ... and drops some


@pytest.mark.parametrize("case", list(CASES))
def test_no_filter_asks_the_database_for_distinct_rows(case, users, register):
    params, _keep = CASES[case]
    sql = str(filtered(users["grc"], bound(params, register)).query)
    assert "DISTINCT" not in sql.upper()


def test_the_distinct_check_sees_a_filter_that_adds_distinct(users, register):
    """Positive control: django-filter's own multiple-choice filter asks for DISTINCT."""

    class StockFilter(django_filters.FilterSet):
        status = django_filters.MultipleChoiceFilter(choices=Status.choices)

    qs = StockFilter({"status": ["triaged"]}, queryset=selectors.register(users["grc"])).qs
    assert "DISTINCT" in str(qs.query).upper()
    assert [i.title for i in qs] == ["Both systems down"]
