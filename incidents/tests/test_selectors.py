"""Reads of the register: search (stored vector, references, substrings), deep pages and their
cost. Data is filed through the real services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from aims.core.pagination import DeferredJoinPaginator
from incidents import selectors, services
from incidents.models import Incident
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

REGISTER_URL = reverse("incidents:register")
INCIDENTS = "/api/v1/incidents/"


def found(user, text) -> set[str]:
    return set(selectors.search(selectors.register(user), text).values_list("reference", flat=True))


@pytest.fixture
def filed(users):
    grc = users["grc"]
    return {
        "loan": file_incident(
            grc,
            title="Loan model rejects valid applications",
            description="Applicants with a non-EU postcode are refused since the retrain.",
        ),
        "chatbot": file_incident(
            grc,
            title="Chatbot promised refunds",
            description="Support saw hallucinated refund policies.",
        ),
    }


# --- search ------------------------------------------------------------------------------------


def test_search_by_reference_finds_exactly_that_incident(users, filed):
    loan, chatbot = filed["loan"], filed["chatbot"]
    assert found(users["grc"], loan.reference) == {loan.reference}
    assert found(users["grc"], chatbot.reference) == {chatbot.reference}


def test_search_by_the_start_of_a_reference_in_any_case(users, filed):
    loan, chatbot = filed["loan"], filed["chatbot"]
    series = loan.reference.rsplit("-", 1)[0]  # INC-2026
    assert found(users["grc"], series.lower()) == {loan.reference, chatbot.reference}
    assert found(users["grc"], f" {loan.reference.lower()} ") == {loan.reference}
    assert found(users["grc"], f"{series}-9999") == set()


def test_search_by_the_number_of_a_reference(users, filed):
    loan = filed["loan"]
    number = loan.reference.rsplit("-", 1)[1]  # 0001
    assert found(users["grc"], number) == {loan.reference}


def test_search_by_words_of_title_and_description(users, filed):
    loan, chatbot = filed["loan"], filed["chatbot"]
    assert found(users["grc"], "rejects") == {loan.reference}
    assert found(users["grc"], "postcodes") == {loan.reference}  # stemmed, from the description
    assert found(users["grc"], "hallucinated refund") == {chatbot.reference}
    assert found(users["grc"], "refund -hallucinated") == set()
    assert found(users["grc"], "timeouts") == set()


def test_search_by_part_of_a_title(users, filed):
    assert found(users["grc"], "atbo") == {filed["chatbot"].reference}
    assert found(users["grc"], "ejects valid") == {filed["loan"].reference}


def test_text_search_follows_an_edit_of_title_and_description(users, filed):
    loan = filed["loan"]
    assert found(users["grc"], "latency") == set()
    services.incident_update(
        actor=users["grc"],
        incident=loan,
        data={
            "title": "Scoring latency above its timeout",
            "description": "Requests fell back to manual review.",
        },
    )
    assert found(users["grc"], "latency") == {loan.reference}
    assert found(users["grc"], "manual review") == {loan.reference}
    assert found(users["grc"], "postcode") == set()
    assert found(users["grc"], "rejects") == set()


def test_search_respects_who_may_see_what(users, filed):
    reporter = users["engineer"]
    own = file_incident(reporter, title="Loan model drift seen by the engineer")
    assert found(reporter, "loan") == {own.reference}
    assert found(users["grc"], "loan") == {own.reference, filed["loan"].reference}


def test_blank_search_and_stop_words_change_nothing_and_find_nothing(users, filed):
    everyone = {i.reference for i in filed.values()}
    assert found(users["grc"], "  ") == everyone
    assert found(users["grc"], "the") == set()


# --- the indexes each read uses ----------------------------------------------------------------


DISABLED_COST = 1e9  # PostgreSQL prices a scan it was told not to use at 1e10


def plan(queryset, *, priced_out=("seqscan", "indexscan")) -> dict:
    """The planner's choice with whole-table scans priced out, so that a table of a few rows is
    planned the way a large one would be. An index scan in the list's order that filters every
    row is such a whole-table scan too, so searches are planned without it.

    Returns whether the plan needed a priced-out scan (no index serves the query) and the
    indexes it reads."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for method in priced_out:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (top,) = cursor.fetchone()[0]
        for method in priced_out:
            cursor.execute(f"SET LOCAL enable_{method} = on")
    indexes, nodes = set(), [top["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        nodes.extend(node.get("Plans", []))
    disabled = top["Plan"]["Total Cost"] >= DISABLED_COST or top["Plan"].get("Disabled Nodes")
    return {"indexed": not disabled, "indexes": indexes}


@pytest.mark.parametrize(
    ("text", "indexes"),
    [
        ("INC-2026-0001", {"incident_search_vector_idx", "incident_title_trigram_idx"}),
        ("0001", {"incident_reference_trigram_idx", "incident_title_trigram_idx"}),
        ("refund", {"incident_search_vector_idx", "incident_title_trigram_idx"}),
    ],
)
def test_each_branch_of_the_search_reads_an_index(filed, text, indexes):
    explained = plan(selectors.search(Incident.objects.all(), text))
    assert explained["indexed"], explained
    assert indexes <= explained["indexes"], explained


def test_a_reference_search_reads_the_reference_index(filed):
    explained = plan(selectors.search(Incident.objects.all(), "INC-2026-0001"))
    assert explained["indexed"], explained
    assert any(name.startswith("incidents_incident_reference_") for name in explained["indexes"])


def test_the_plan_check_sees_a_search_no_index_serves(filed):
    """Positive control of the checks above: a substring of the description has no index."""
    explained = plan(Incident.objects.filter(description__icontains="retrain"))
    assert not explained["indexed"], explained


def test_a_deep_page_reads_its_keys_in_register_order(users, filed):
    rows = selectors.register(users["grc"]).order_by("-detected_at", "-id")
    explained = plan(DeferredJoinPaginator(rows, 1).page(2).object_list, priced_out=("seqscan",))
    assert explained["indexed"], explained
    assert "incident_register_order_idx" in explained["indexes"], explained


# --- pages -------------------------------------------------------------------------------------


def test_deferred_pages_hold_every_row_once_in_the_lists_order(users):
    grc = users["grc"]
    for n in range(7):
        file_incident(grc, title=f"Incident {n}", severity=n % 4, severity_reason="triage")
    for ordering in (["-detected_at", "-id"], ["severity", "title", "id"]):
        rows = selectors.register(grc).order_by(*ordering)
        paginator = DeferredJoinPaginator(rows, 3)
        paged = [i.pk for n in paginator.page_range for i in paginator.page(n).object_list]
        assert paged == [i.pk for i in rows]
        assert paginator.num_pages == 3


def test_deferred_pages_keep_filters_annotations_and_prefetches(users, make_system):
    grc = users["grc"]
    system = make_system()
    for n in range(4):
        file_incident(grc, title=f"Refund {n}", systems=[system] if n % 2 else [])
    file_incident(grc, title="Unrelated")
    rows = selectors.search(selectors.register(grc), "refund").order_by("-detected_at", "-id")
    page = DeferredJoinPaginator(rows, 2).page(2)
    with CaptureQueriesContext(connection) as ctx:
        incidents = list(page.object_list)
        systems = [[a.system.reference for a in i.affected_systems.all()] for i in incidents]
    assert [i.title for i in incidents] == ["Refund 1", "Refund 0"]
    assert systems == [[system.reference], []]
    assert [i.is_overdue for i in incidents] == [False, False]
    assert len(ctx.captured_queries) == 2  # the page, its affected systems


def register_queries(client, params) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(REGISTER_URL, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_filtered_searched_and_deep_register_pages_cost_the_default_pages_queries(
    client, users, make_system
):
    grc = users["grc"]
    systems = [make_system(), make_system()]
    incidents = [
        file_incident(
            grc,
            title=f"Refund amounts wrong {n}",
            systems=systems[: n % 3],
            severity=n % 4,
            severity_reason="triage",
        )
        for n in range(27)
    ]
    client.force_login(grc)
    default, content = register_queries(client, {})
    assert "Page 1 of 2" in content
    variants = {
        "filtered": {"severity": ["1", "2"], "status": "reported"},
        "by reference": {"q": incidents[5].reference},
        "by text": {"q": "refund"},
        "deep page": {"page": "2"},
        "deep searched page": {"q": "refund", "page": "2"},
    }
    for name, params in variants.items():
        queries, content = register_queries(client, params)
        assert queries == default, name
    # Choosing a system costs one lookup of that system (the filter form checks it exists).
    assert register_queries(client, {"system": str(systems[1].pk)})[0] == default + 1
    assert incidents[5].reference in register_queries(client, variants["by reference"])[1]
    assert "Page 2 of 2" in register_queries(client, variants["deep page"])[1]


def test_filtered_searched_and_deep_api_pages_cost_the_default_pages_queries(
    users, make_system, api_client_for
):
    grc = users["grc"]
    system = make_system()
    for n in range(6):
        file_incident(
            grc, title=f"Refund {n}", systems=[system], severity=n % 2, severity_reason="x"
        )
    client = api_client_for(grc)

    def queries(params):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(INCIDENTS, {"page_size": 2, **params})
        assert response.status_code == 200, response.json()
        assert len(response.json()["results"]) == 2
        return len(ctx.captured_queries)

    default = queries({})
    for params in ({"severity": ["0", "1"], "status": "reported"}, {"q": "refund"}, {"page": 3}):
        assert queries(params) == default, params
    assert queries({"system": system.pk}) == default + 1  # the chosen system is looked up
