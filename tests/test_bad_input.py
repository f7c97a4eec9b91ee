"""Whatever a client sends, the answer is never a 500: long reasons, odd dates, NUL characters,
broken bodies, unknown paths. Each case here was once a server error."""

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
