"""Whatever a client sends, the answer is never a 500: long reasons, odd dates, NUL characters,
broken bodies, unknown paths. Each case here was once a server error."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aims.core.services import HISTORY_REASON_MAX, history_reason
from incidents.choices import Status, TimelineKind
from incidents.models import Incident
from incidents.tests.factories import deploy, file_incident, model_version
from inventory import services as inventory_services
from inventory.models import Deployment, MonitoringRule
from inventory.tests.test_views import form_post_data

pytestmark = pytest.mark.django_db

# Long enough to overflow every bounded column; within what each endpoint accepts.
LONG_REASON = ("Customers in the EU were shown a refund ten times too large. " * 40)[:2000]


@pytest.fixture
def system(make_system):
    return make_system(name="Refund assistant")


@pytest.fixture
def grc_api(users, api_client_for):
    return api_client_for(users["grc"])


def incident_of(users, system, **extra):
    return file_incident(users["grc"], systems=[system], **extra)


def timeline_reasons(incident, kind):
    return [entry.data.get("reason") for entry in incident.timeline.filter(kind=kind)]


def last_history_reason(obj):
    return obj.history.order_by("-history_id").first().history_change_reason


# --- the history summary ------------------------------------------------------------------------


def test_history_reason_is_bounded_and_marks_the_cut():
    summary = history_reason(LONG_REASON)
    assert len(summary) <= HISTORY_REASON_MAX
    assert summary.endswith("\u2026")
    assert LONG_REASON.startswith(summary[:-1].rstrip())
    assert history_reason("Ticket number typo") == "Ticket number typo"
    assert history_reason("x" * HISTORY_REASON_MAX) == "x" * HISTORY_REASON_MAX
    assert history_reason("   ") is None


# --- long reasons through the API ---------------------------------------------------------------


def test_api_severity_change_keeps_a_long_reason(users, system, grc_api):
    incident = incident_of(users, system)
    response = grc_api.post(
        f"/api/v1/incidents/{incident.pk}/severity/",
        {"severity": 1, "reason": LONG_REASON},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert timeline_reasons(incident, TimelineKind.SEVERITY) == [LONG_REASON]
    incident.refresh_from_db()
    assert last_history_reason(incident) == history_reason(LONG_REASON)


def test_api_rejection_keeps_a_long_reason(users, system, grc_api):
    incident = incident_of(users, system)
    response = grc_api.post(
        f"/api/v1/incidents/{incident.pk}/transition/",
        {"to": "rejected", "reason": LONG_REASON},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rejection_reason"] == LONG_REASON
    incident.refresh_from_db()
    assert incident.status == Status.REJECTED
    assert timeline_reasons(incident, TimelineKind.STATUS) == [LONG_REASON]


def test_api_create_keeps_a_long_severity_reason(users, system, api_client_for):
    response = api_client_for(users["engineer"]).post(
        "/api/v1/incidents/",
        {
            "title": "Refund bot promises 10x refunds",
            "description": "Seen by support.",
            "systems": [system.reference],
            "severity": "P2",
            "severity_reason": LONG_REASON,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get(pk=response.json()["id"])
    assert timeline_reasons(incident, TimelineKind.SEVERITY) == [LONG_REASON]


def test_api_deployment_correction_keeps_a_long_reason(users, system, grc_api):
    version = model_version(system, users["grc"], "v1")
    entry = deploy(system, users["grc"], version)
    response = grc_api.patch(
        f"/api/v1/deployments/{entry.pk}/",
        {"change_reference": "CHG-1042", "reason": LONG_REASON},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["correction_reason"] == LONG_REASON
    entry = Deployment.objects.get(pk=entry.pk)
    assert entry.correction_reason == LONG_REASON
    assert entry.history.order_by("-history_id").first().correction_reason == LONG_REASON
    assert last_history_reason(entry) == history_reason(LONG_REASON)


def make_rule(users, system):
    return inventory_services.monitoring_rule_create(
        actor=users["grc"],
        system=system,
        data={
            "metric": "refund_amount_p99",
            "comparison": "gt",
            "threshold": Decimal("100"),
            "window": "1h",
            "channel": "alertmanager: support-oncall",
        },
    )


def test_api_monitoring_rule_change_keeps_a_long_reason(users, system, grc_api):
    rule = make_rule(users, system)
    response = grc_api.patch(
        f"/api/v1/monitoring-rules/{rule.pk}/",
        {"threshold": "150", "change_reason": LONG_REASON},
        format="json",
    )
    assert response.status_code == 200, response.json()
    rule = MonitoringRule.objects.get(pk=rule.pk)
    assert rule.change_reason == LONG_REASON
    assert last_history_reason(rule) == history_reason(LONG_REASON)


# --- long reasons through the HTML forms --------------------------------------------------------


def test_form_severity_change_keeps_a_long_reason(client, users, system):
    incident = incident_of(users, system)
    client.force_login(users["grc"])
    response = client.post(
        reverse("incidents:incident-severity", args=[incident.pk]),
        {"severity": "1", "reason": LONG_REASON},
    )
    assert response.status_code == 302
    assert timeline_reasons(incident, TimelineKind.SEVERITY) == [LONG_REASON]


def test_form_rejection_keeps_a_long_reason(client, users, system):
    incident = incident_of(users, system)
    client.force_login(users["grc"])
    response = client.post(
        reverse("incidents:incident-transition", args=[incident.pk]),
        {"to": "rejected", "reason": LONG_REASON},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.rejection_reason) == (Status.REJECTED, LONG_REASON)


def test_form_create_keeps_a_long_severity_reason(client, users, system):
    client.force_login(users["engineer"])
    response = client.post(
        reverse("incidents:incident-create"),
        {
            "title": "Refund bot promises 10x refunds",
            "description": "Customers were told they would get ten times their money back.",
            "kind": "incident",
            "types": ["harmful_output"],
            "detection_source": "user_report",
            "detected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "systems": [system.pk],
            "financial_impact_currency": "USD",
            "severity": "2",
            "severity_reason": LONG_REASON,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    incident = Incident.objects.get()
    assert timeline_reasons(incident, TimelineKind.SEVERITY) == [LONG_REASON]


def test_form_monitoring_rule_change_keeps_a_long_reason(client, users, system):
    rule = make_rule(users, system)
    client.force_login(users["grc"])
    url = reverse("inventory:monitoring-rule-edit", args=[rule.pk])
    form = client.get(url).context["form"]
    response = client.post(url, form_post_data(form, threshold="150", change_reason=LONG_REASON))
    assert response.status_code == 302
    rule = MonitoringRule.objects.get(pk=rule.pk)
    assert rule.change_reason == LONG_REASON


# --- format suffixes and unknown API paths ------------------------------------------------------


def _api_routes():
    """Every URL pattern under /api/v1/, with its path parameters filled in with 1."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    routes = set()
    for raw in walk(get_resolver().url_patterns, ""):
        text = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", "1", raw.replace("^", "").rstrip("$"))
        if text.startswith("api/v1/") and "(?P" not in text and "\\" not in text:
            routes.add("/" + text)
    return sorted(routes)


API_ROUTES = _api_routes()


def test_the_route_list_covers_the_actions():
    assert "/api/v1/incidents/1/timeline/" in API_ROUTES
    assert "/api/v1/model-versions/1/approve/" in API_ROUTES
    assert "/api/v1/report-runs/1/download/" in API_ROUTES
    assert len(API_ROUTES) > 40


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "route", [r for r in API_ROUTES if r.endswith("/") and r != "/api/v1/"], ids=str
)
def test_a_format_suffix_is_a_json_404_on_every_route(users, api_client_for, route, method):
    response = getattr(api_client_for(users["grc"]), method)(route[:-1] + ".json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_the_same_routes_answer_without_the_suffix(users, system, api_client_for):
    incident = incident_of(users, system)
    client = api_client_for(users["grc"])
    assert client.get(f"/api/v1/incidents/{incident.pk}/timeline/").status_code == 200
    response = client.get("/api/v1/incidents/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["count"] == 1


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/incidents/1/nope/", "/api/x"])
def test_an_unknown_api_path_is_a_json_404(users, api_client_for, path):
    response = api_client_for(users["grc"]).get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert path in response.json()["message"]


def test_an_unknown_page_is_still_the_html_404(client, users):
    client.force_login(users["grc"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- instants the database cannot store -------------------------------------------------------

BAD_OFFSET = "2026-01-01T00:00:00-19:50"


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/incidents/?detected_after=" + BAD_OFFSET,
        "/api/v1/incidents/?detected_before=" + BAD_OFFSET,
        "/api/v1/register-exports/csv/?detected_after=" + BAD_OFFSET,
        "/api/v1/deployments/?deployed_after=" + BAD_OFFSET,
        "/api/v1/systems/{system}/version-at/?at=" + BAD_OFFSET,
        "/api/v1/systems/{system}/version-at/?at=0000-01-01T00:00:00Z",
    ],
)
def test_an_unstorable_instant_in_a_query_is_a_400(users, system, api_client_for, url):
    response = api_client_for(users["grc"]).get(url.format(system=system.pk).replace("+", "%2B"))
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert "offset" in body["message"] or "ISO 8601" in body["message"]


def test_an_instant_with_a_good_offset_still_filters(users, system, api_client_for):
    incident_of(users, system)
    client = api_client_for(users["grc"])
    response = client.get("/api/v1/incidents/", {"detected_after": "2020-01-01T00:00:00+14:00"})
    assert response.status_code == 200 and response.json()["count"] == 1
    response = client.get("/api/v1/incidents/", {"detected_after": "2099-01-01T00:00:00-12:00"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_the_register_page_says_what_is_wrong_with_the_offset(client, users):
    client.force_login(users["grc"])
    response = client.get(reverse("incidents:register"), {"detected_after": BAD_OFFSET})
    assert response.status_code == 200
    assert "offsets run from -15:59 to +15:59" in response.content.decode()


def test_an_audit_sample_with_an_unstorable_offset_is_a_400(users, api_client_for):
    response = api_client_for(users["auditor"]).post(
        "/api/v1/audit-samples/",
        {"detected_after": BAD_OFFSET, "size": 5},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "offset" in response.json()["message"]


@pytest.mark.parametrize(
    ("detected_at", "words"),
    [("0001-01-01T00:00:00Z", "before 1970"), ("9999-01-01T00:00:00Z", "far in the future")],
)
def test_a_detection_time_out_of_any_register_is_refused(users, api_client_for, detected_at, words):
    response = api_client_for(users["engineer"]).post(
        "/api/v1/incidents/",
        {"title": "Refund bot", "description": "Seen.", "detected_at": detected_at},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert words in response.json()["message"]
    assert not Incident.objects.exists()


def test_a_detection_time_in_1970_is_accepted(users, api_client_for):
    response = api_client_for(users["engineer"]).post(
        "/api/v1/incidents/",
        {"title": "Refund bot", "description": "Seen.", "detected_at": "1970-01-02T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 201, response.content


# --- ids and references that are not ---------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["q=%00", "exclude=%C2%B2", "system=%C2%B2", "system=%00", "exclude=99999999999999999999"],
)
def test_similar_refuses_or_ignores_odd_parameters(users, api_client_for, query):
    response = api_client_for(users["grc"]).get(f"/api/v1/incidents/similar/?{query}")
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["code"] == "validation_failed"


def test_similar_still_finds_by_system(users, system, api_client_for):
    incident = incident_of(users, system)
    response = api_client_for(users["grc"]).get(
        "/api/v1/incidents/similar/", {"system": system.reference}
    )
    assert [i["reference"] for i in response.json()] == [incident.reference]


def test_an_incident_id_in_other_digits_is_a_404(users, api_client_for):
    response = api_client_for(users["grc"]).get("/api/v1/incidents/%C2%B2/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("reference", ["\u00b2", "AIS-\x000001", "9" * 30, ""])
def test_a_system_reference_that_names_nothing_is_a_400(users, system, api_client_for, reference):
    client = api_client_for(users["grc"])
    response = client.post(
        "/api/v1/incidents/",
        {"title": "Refund bot", "description": "Seen.", "systems": [reference]},
        format="json",
    )
    assert response.status_code == 400, response.content
    incident = incident_of(users, system)
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/systems/", {"system": reference}, format="json"
    )
    assert response.status_code == 400, response.content


def test_a_system_reference_in_a_form_body_with_a_nul_is_a_400(users, system, api_client_for):
    incident = incident_of(users, system)
    response = api_client_for(users["grc"]).post(
        f"/api/v1/incidents/{incident.pk}/systems/", {"system": "AIS\x00"}, format="multipart"
    )
    assert response.status_code == 400, response.content


# --- bodies of the wrong shape ---------------------------------------------------------------


@pytest.mark.parametrize("collection", ["model-versions", "deployments", "monitoring-rules"])
@pytest.mark.parametrize("body", ['[{"system": 1}]', '{"system": 1e999}', '{"system": NaN}'])
def test_a_body_of_the_wrong_shape_is_a_400(users, system, api_client_for, collection, body):
    response = api_client_for(users["grc"]).post(
        f"/api/v1/{collection}/", body, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("validation_failed", "parse_error")


@pytest.mark.parametrize("field", ["title", "description"])
def test_a_nul_character_in_any_string_is_a_400(users, api_client_for, field):
    body = {"title": "Refund bot", "description": "Seen.", field: "Refund\x00bot"}
    response = api_client_for(users["engineer"]).post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400, response.content
    assert "NUL" in response.json()["message"] or "Null" in response.json()["message"]
    assert not Incident.objects.exists()


def test_a_nul_in_an_alert_label_is_a_400(users, system, api_client_for):
    payload = {
        "version": "4",
        "alerts": [
            {
                "status": "firing",
                "labels": {"ai_system": system.reference + "\x00", "alertname": "Refunds"},
                "startsAt": "2026-03-01T10:00:00Z",
                "fingerprint": "abc",
            }
        ],
    }
    response = api_client_for(users["engineer"]).post(
        "/api/v1/alerts/alertmanager/", payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert not Incident.objects.exists()


@pytest.mark.parametrize("external_url", [7, ["https://am.example.com"], {"u": 1}])
def test_an_alertmanager_payload_with_a_non_string_external_url_is_a_400(
    users, system, api_client_for, external_url
):
    payload = {
        "version": "4",
        "externalURL": external_url,
        "alerts": [
            {
                "status": "firing",
                "labels": {"ai_system": system.reference, "alertname": "Refunds"},
                "startsAt": "2026-03-01T10:00:00Z",
                "fingerprint": "abc",
            }
        ],
    }
    response = api_client_for(users["engineer"]).post(
        "/api/v1/alerts/alertmanager/", payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert "externalURL" in response.json()["message"]


def test_a_json_body_over_the_limit_is_a_json_413(users, api_client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"title": "' + "x" * 2000 + '", "description": "Seen."}'
    response = api_client_for(users["engineer"]).post(
        "/api/v1/incidents/", body, content_type="application/json"
    )
    assert response.status_code == 413, response.content
    assert response.json()["code"] == "too_large"
    assert "1000 bytes" in response.json()["message"]
