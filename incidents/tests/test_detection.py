"""Detection after a failure: alerts carry the monitoring rule that produced them, and a
threshold change an incident prompted is linked to it — from the incident page, the API, or a
change on the rule whose reason names the incident."""

from decimal import Decimal

import pytest

from incidents.choices import TimelineKind
from incidents.models import AlertLink, DetectionThresholdChange
from incidents.tests.factories import file_incident
from inventory import services as inventory_services

pytestmark = pytest.mark.django_db

ALERTMANAGER = "/api/v1/alerts/alertmanager/"


@pytest.fixture
def system(make_system, users):
    return make_system(name="Credit scoring", business_owner=users["engineer"])


@pytest.fixture
def rule(system, users):
    return inventory_services.monitoring_rule_create(
        actor=users["grc"],
        system=system,
        data={
            "metric": "approval_rate_drift_psi",
            "comparison": "gt",
            "threshold": Decimal("0.25"),
            "channel": "alertmanager: ml-oncall",
        },
    )


def alertmanager(system, alertname, *, status="firing", fingerprint="fp-1", **labels):
    return {
        "version": "4",
        "status": status,
        "receiver": "aims",
        "groupKey": "{}:{alertname}",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": alertname, "ai_system": system.reference, **labels},
                "annotations": {"summary": f"{alertname} on {system.name}"},
                "startsAt": "2026-03-02T08:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fingerprint,
            }
        ],
    }


def post_alert(api_client_for, users, body):
    answer = api_client_for(users["engineer"]).post(ALERTMANAGER, body, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_an_alert_named_after_a_rule_links_to_it_and_one_without_a_rule_does_not(
    api_client_for, users, system, rule
):
    post_alert(api_client_for, users, alertmanager(system, "Approval_Rate_Drift_PSI"))
    post_alert(api_client_for, users, alertmanager(system, "LatencyHigh", fingerprint="fp-2"))

    by_name = {a.alert_name: a for a in AlertLink.objects.all()}
    assert by_name["Approval_Rate_Drift_PSI"].monitoring_rule == rule  # case does not matter
    assert by_name["LatencyHigh"].monitoring_rule is None


def test_the_metric_label_names_the_rule_and_a_later_firing_fills_in_a_rule_added_since(
    api_client_for, users, system
):
    post_alert(api_client_for, users, alertmanager(system, "DriftHigh", metric="feature_psi"))
    link = AlertLink.objects.get()
    assert link.monitoring_rule is None  # no rule yet
    added = inventory_services.monitoring_rule_create(
        actor=users["grc"],
        system=system,
        data={"metric": "feature_psi", "threshold": Decimal("0.2"), "channel": "am"},
    )

    post_alert(api_client_for, users, alertmanager(system, "DriftHigh", metric="feature_psi"))

    link.refresh_from_db()
    assert link.monitoring_rule == added and link.occurrences == 2


def test_a_rule_of_another_system_is_never_matched(
    api_client_for, users, system, rule, make_system
):
    other = make_system(name="Chat assistant")
    post_alert(api_client_for, users, alertmanager(other, "approval_rate_drift_psi"))
    assert AlertLink.objects.get().monitoring_rule is None


def test_alert_links_list_what_a_rule_produced_to_those_who_see_the_incidents(
    api_client_for, users, system, rule, make_user
):
    (reference,) = post_alert(
        api_client_for, users, alertmanager(system, "approval_rate_drift_psi")
    )["opened"]

    answer = api_client_for(users["auditor"]).get(f"/api/v1/alert-links/?monitoring_rule={rule.pk}")
    assert answer.status_code == 200
    (row,) = answer.json()["results"]
    assert row["incident_reference"] == reference and row["system"] == system.pk
    # An engineer who neither owns the system nor takes part sees none of it.
    stranger = api_client_for(make_user("engineer"))
    assert stranger.get(f"/api/v1/alert-links/?monitoring_rule={rule.pk}").json()["results"] == []
    assert api_client_for(None).get("/api/v1/alert-links/").status_code == 401


def url(incident):
    return f"/api/v1/incidents/{incident.pk}/threshold-changes/"


def test_changing_a_threshold_from_the_incident_links_both_records(
    api_client_for, users, system, rule
):
    incident = file_incident(users["grc"], systems=[system])

    answer = api_client_for(users["engineer"]).post(
        url(incident),
        {"monitoring_rule": rule.pk, "threshold": "0.18", "reason": "Drift began at 0.19."},
        format="json",
    )

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["old_threshold"], body["new_threshold"]) == ("0.250000", "0.180000")
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.18")
    assert rule.change_reason == f"{incident.reference}: Drift began at 0.19."
    entry = incident.timeline.get(kind=TimelineKind.DETECTION)
    assert "0.25 → gt 0.18" in entry.summary and system.reference in entry.summary
    listed = api_client_for(users["auditor"]).get(url(incident)).json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_a_threshold_change_is_refused_to_read_only_roles_and_for_rules_of_other_systems(
    api_client_for, users, system, rule, make_system
):
    incident = file_incident(users["grc"], systems=[system])
    other_rule = inventory_services.monitoring_rule_create(
        actor=users["grc"],
        system=make_system(name="Other"),
        data={"metric": "toxicity", "threshold": Decimal("0.1"), "channel": "am"},
    )
    body = {"monitoring_rule": rule.pk, "threshold": "0.18", "reason": "because"}

    refused = api_client_for(users["auditor"]).post(url(incident), body, format="json")
    assert refused.status_code == 403
    assert "cannot change detection thresholds" in refused.json()["message"]
    wrong = api_client_for(users["grc"]).post(
        url(incident), {**body, "monitoring_rule": other_rule.pk}, format="json"
    )
    assert wrong.status_code == 400 and "affected systems" in str(wrong.json())
    same = api_client_for(users["grc"]).post(
        url(incident), {**body, "threshold": "0.25"}, format="json"
    )
    assert same.status_code == 400 and "already has this threshold" in str(same.json())
    assert not DetectionThresholdChange.objects.exists()
    rule.refresh_from_db()
    assert rule.threshold == Decimal("0.25")
    # The inventory's own rule holds too: an engineer who does not own the system may not.
    outsider = api_client_for(users["dpo"]).post(url(incident), body, format="json")
    assert outsider.status_code == 403


def test_a_change_on_the_rule_itself_whose_reason_names_the_incident_is_linked(
    api_client_for, users, system, rule
):
    incident = file_incident(users["grc"], systems=[system])
    client = api_client_for(users["engineer"])

    unlinked = client.patch(
        f"/api/v1/monitoring-rules/{rule.pk}/",
        {"threshold": "0.3", "change_reason": "seasonal recalibration"},
        format="json",
    )
    linked = client.patch(
        f"/api/v1/monitoring-rules/{rule.pk}/",
        {"threshold": "0.2", "change_reason": f"after {incident.reference.lower()}"},
        format="json",
    )

    assert unlinked.status_code == linked.status_code == 200
    (change,) = DetectionThresholdChange.objects.all()
    assert change.incident == incident
    assert (change.old_threshold, change.new_threshold) == (Decimal("0.3"), Decimal("0.2"))
    assert incident.timeline.filter(kind=TimelineKind.DETECTION).count() == 1


def test_the_incident_page_shows_alerts_and_changes_and_offers_the_form_to_owners(
    client, api_client_for, users, system, rule
):
    (reference,) = post_alert(
        api_client_for, users, alertmanager(system, "approval_rate_drift_psi")
    )["opened"]
    incident = AlertLink.objects.get().incident

    client.force_login(users["engineer"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="incident-alerts"' in page and "approval_rate_drift_psi &gt; 0.25" in page
    assert "Change a detection threshold" in page

    posted = client.post(
        f"/incidents/{incident.pk}/threshold-changes/",
        {"monitoring_rule": rule.pk, "threshold": "0.2", "reason": "caught too late"},
    )
    assert posted.status_code == 302
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="incident-threshold-changes"' in page and "gt 0.2" in page

    client.force_login(users["auditor"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="incident-alerts"' in page and "Change a detection threshold" not in page
    assert reference in page


def test_the_system_page_counts_alerts_per_rule_and_hides_incidents_the_viewer_cannot_see(
    client, api_client_for, users, system, rule, make_user
):
    post_alert(api_client_for, users, alertmanager(system, "approval_rate_drift_psi"))
    incident = AlertLink.objects.get().incident
    from incidents import services

    services.threshold_change_for_incident(
        actor=users["grc"],
        incident=incident,
        rule=rule,
        data={"threshold": "0.2", "reason": "caught too late"},
    )

    client.force_login(users["auditor"])
    page = client.get(system.get_absolute_url()).content.decode()
    assert 'id="rule-alerts"' in page and incident.reference in page
    assert 'id="system-threshold-changes"' in page

    client.force_login(make_user("engineer"))  # sees the system, not the incident
    page = client.get(system.get_absolute_url()).content.decode()
    assert incident.reference not in page and 'id="rule-alerts"' not in page


def test_naming_an_incident_one_may_not_see_links_nothing(api_client_for, users, system, rule):
    hidden = file_incident(users["grc"], systems=[system], restricted=True)
    seen = file_incident(users["grc"], systems=[system])

    answer = api_client_for(users["engineer"]).patch(
        f"/api/v1/monitoring-rules/{rule.pk}/",
        {"threshold": "0.2", "change_reason": f"after {hidden.reference} and {seen.reference}"},
        format="json",
    )

    assert answer.status_code == 200
    assert [c.incident for c in DetectionThresholdChange.objects.all()] == [seen]
    assert not hidden.timeline.filter(kind=TimelineKind.DETECTION).exists()
