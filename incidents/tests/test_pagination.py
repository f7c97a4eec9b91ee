"""The register API's two ways through the list: numbered pages, and a cursor walk in filing
order for programs that read the whole register."""

import base64

import pytest
import yaml

from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db

INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def grc_client(users, api_client_for):
    return api_client_for(users["grc"])


def walk(client, params=None, *, during=None) -> list[str]:
    """Follow ``next`` from ``?cursor=`` to the end; ``during(n)`` runs after the n-th page."""
    url, query, seen, pages = INCIDENTS, {"cursor": "", **(params or {})}, [], 0
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        assert "count" not in body
        seen += [row["reference"] for row in body["results"]]
        url, query, pages = body["next"], None, pages + 1
        if during:
            during(pages)
    return seen


def test_a_cursor_walk_reads_every_incident_once_in_filing_order(users, grc_client):
    filed = [file_incident(users["grc"], title=f"Incident {n}") for n in range(7)]
    assert walk(grc_client, {"page_size": 2}) == [i.reference for i in filed]


def test_incidents_filed_during_a_walk_come_later_in_it_and_nothing_twice(users, grc_client):
    grc = users["grc"]
    filed = [file_incident(grc, title=f"Incident {n}") for n in range(5)]

    def file_two_more(page):
        if page in (1, 2):
            filed.extend(file_incident(grc, title=f"Late {page}.{n}") for n in range(2))

    seen = walk(grc_client, {"page_size": 2}, during=file_two_more)
    assert len(filed) == 9
    assert seen == [i.reference for i in filed]


def test_a_cursor_walk_keeps_the_filters_and_what_the_caller_may_see(users, api_client_for):
    grc, engineer = users["grc"], users["engineer"]
    severe = [file_incident(grc, severity=1, severity_reason="x") for _ in range(3)]
    file_incident(grc, severity=3, severity_reason="x")
    own = file_incident(engineer, title="Seen by its reporter")
    walked = walk(api_client_for(grc), {"page_size": 2, "severity": "1"})
    assert walked == [i.reference for i in severe]
    assert walk(api_client_for(engineer), {"page_size": 1}) == [own.reference]


def test_page_numbers_still_count_and_number_the_pages(users, grc_client):
    filed = [file_incident(users["grc"], title=f"Incident {n}") for n in range(3)]
    body = grc_client.get(INCIDENTS, {"page_size": 2, "page": 2}).json()
    assert body["count"] == 3 and body["next"] is None and "page=" not in (body["previous"] or "")
    assert [row["reference"] for row in body["results"]] == [filed[0].reference]


def test_a_cursor_walk_with_an_ordering_is_refused(users, grc_client):
    file_incident(users["grc"])
    response = grc_client.get(INCIDENTS, {"cursor": "", "ordering": "severity"})
    assert response.status_code == 400
    assert "ordering" in response.json()["fields"]
    assert grc_client.get(INCIDENTS, {"cursor": "", "ordering": ""}).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.b64encode(b"p=abc").decode(),
        base64.b64encode(b"p=1;DROP").decode(),
        base64.b64encode(b"o=-5").decode(),
        base64.b64encode(b"r=x").decode(),
        "é",
    ],
)
def test_a_forged_cursor_is_a_404_not_a_crash(users, grc_client, cursor):
    file_incident(users["grc"])
    response = grc_client.get(INCIDENTS, {"cursor": cursor})
    assert response.status_code == 404
    assert "cursor" in response.json()["message"]


def test_a_cursor_past_every_key_is_an_empty_last_page(users, grc_client):
    file_incident(users["grc"])
    far = base64.b64encode(b"p=" + b"9" * 30).decode()
    body = grc_client.get(INCIDENTS, {"cursor": far}).json()
    assert body["results"] == [] and body["next"] is None


def test_other_lists_of_the_incident_ignore_the_cursor(users, grc_client):
    incident = file_incident(users["grc"])
    body = grc_client.get(f"{INCIDENTS}{incident.pk}/timeline/", {"cursor": ""}).json()
    assert body["count"] == 1


def test_the_schema_describes_both_answers_of_the_list(client, users):
    client.force_login(users["grc"])
    schema = yaml.safe_load(client.get("/api/schema/").content)
    listing = schema["paths"][INCIDENTS]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page", "page_size"} <= names
    ref = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert "count" not in page["required"]
    timeline = schema["paths"][f"{INCIDENTS}{{id}}/timeline/"]["get"]
    assert "cursor" not in {p["name"] for p in timeline["parameters"]}
