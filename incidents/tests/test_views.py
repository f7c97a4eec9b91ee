"""The incident register's HTML pages: register, filing, the incident page and its actions,
editing, refusals, concurrency and query counts. Data is set up through the real services."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aims.accounts.models import User
from aims.core.concurrency import version_of
from incidents import services
from incidents.models import ContainmentDecision, Evidence, Incident
from inventory import services as inventory_services

pytestmark = pytest.mark.django_db

REGISTER_URL = reverse("incidents:register")
CREATE_URL = reverse("incidents:incident-create")
ASSIST_URL = reverse("incidents:incident-assist")


def file_incident(actor, *, systems=(), severity=None, reason="", **data):
    values = {"title": "Chatbot gives wrong refund amounts", "description": "Seen by support."}
    values.update(data)
    return services.incident_create(
        actor=actor, data=values, systems=list(systems), severity=severity, severity_reason=reason
    )


def deploy_version(system, actor, label="2.1", *, days_ago=2):
    version = inventory_services.model_version_create(
        actor=actor,
        system=system,
        data={"version_label": label, "artifact_digest": "sha256:" + "ab" * 32},
    )
    inventory_services.deployment_record(
        actor=actor,
        system=system,
        data={
            "model_version": version,
            "environment": "production",
            "deployed_at": timezone.now() - timedelta(days=days_ago),
            "change_type": "deploy",
            "change_reference": "PR-481",
        },
    )
    return version


def add_evidence(incident, actor, content=b"request_id,output\n1,refund 10000\n", name="log.csv"):
    return services.evidence_add(
        actor=actor,
        incident=incident,
        uploaded_file=SimpleUploadedFile(name, content),
        kind="audit_log",
    )


def page(incident):
    return reverse("incidents:incident-detail", args=[incident.pk])


def action(name, incident):
    return reverse(f"incidents:{name}", args=[incident.pk])


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def system(make_system, users):
    system = make_system(name="Refund assistant")
    deploy_version(system, users["grc"])
    return system


# --- register ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(REGISTER_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_user_without_role_is_refused(client, db):
    client.force_login(User.objects.create_user("nobody", password="pw-Secret-123"))
    response = client.get(REGISTER_URL)
    assert response.status_code == 403
    assert "no role" in text(response)


def test_register_lists_incidents_with_chips_and_systems(client, users, system):
    incident = file_incident(users["grc"], systems=[system], severity=1, reason="Many customers")
    services.incident_assign_lead(actor=users["grc"], incident=incident, lead=users["engineer"])
    client.force_login(users["grc"])
    response = client.get(REGISTER_URL)
    content = text(response)
    assert response.status_code == 200
    assert "<title>Incident register · AIMS Register</title>" in content
    assert incident.reference in content
    assert "Chatbot gives wrong refund amounts" in content
    assert 'class="chip chip-severity-1">P1 — high<' in content
    assert 'class="chip chip-istatus-reported">Reported<' in content
    assert system.reference in content
    assert str(users["engineer"]) in content
    assert "New incident" in content


def test_register_search_by_text_and_reference(client, users):
    refunds = file_incident(users["grc"], title="Refund amounts wrong")
    bias = file_incident(users["grc"], title="Loan model rejects applicants by postcode")
    client.force_login(users["auditor"])

    content = text(client.get(REGISTER_URL, {"q": "refund"}))
    assert refunds.reference in content and bias.reference not in content

    content = text(client.get(REGISTER_URL, {"q": bias.reference}))
    assert bias.reference in content and refunds.reference not in content


def test_register_filters_by_status_severity_system_state_and_dates(client, users, make_system):
    grc = users["grc"]
    chatbot, scoring = make_system(name="Chatbot"), make_system(name="Scoring")
    p0 = file_incident(grc, title="Critical one", systems=[chatbot], severity=0, reason="harm")
    p3 = file_incident(
        grc,
        title="Minor one",
        systems=[scoring],
        severity=3,
        reason="cosmetic",
        detection_source="user_report",
        detected_at=timezone.now() - timedelta(days=40),
    )
    rejected = file_incident(grc, title="Not an AI problem")
    services.incident_transition(
        actor=grc, incident=rejected, to="rejected", reason="A spreadsheet error."
    )
    client.force_login(grc)

    content = text(client.get(REGISTER_URL, {"severity": "0"}))
    assert p0.reference in content and p3.reference not in content

    content = text(client.get(REGISTER_URL, {"system": scoring.pk}))
    assert p3.reference in content and p0.reference not in content
    assert f'<option value="{scoring.pk}" selected>' in content

    content = text(client.get(REGISTER_URL, {"status": "rejected"}))
    assert rejected.reference in content and p0.reference not in content

    content = text(client.get(REGISTER_URL, {"state": "open"}))
    assert p0.reference in content and p3.reference in content
    assert rejected.reference not in content

    content = text(client.get(REGISTER_URL, {"detection_source": "user_report"}))
    assert p3.reference in content and p0.reference not in content

    today = timezone.localdate().isoformat()
    content = text(client.get(REGISTER_URL, {"detected_after": today}))
    assert p0.reference in content and p3.reference not in content
    # "until" includes the whole day it names.
    content = text(client.get(REGISTER_URL, {"detected_before": today}))
    assert p0.reference in content and p3.reference in content
    old = (timezone.localdate() - timedelta(days=30)).isoformat()
    content = text(client.get(REGISTER_URL, {"detected_before": old}))
    assert p3.reference in content and p0.reference not in content
    assert f'value="{old}"' in content

    # Empty selects, as a GET form sends them, mean "any".
    content = text(client.get(REGISTER_URL, {"status": "", "severity": "", "q": ""}))
    assert p0.reference in content and p3.reference in content and rejected.reference in content


def test_register_sorts_by_severity_both_ways(client, users):
    low = file_incident(users["grc"], title="Low one", severity=3, reason="minor")
    high = file_incident(users["grc"], title="High one", severity=0, reason="harm")
    client.force_login(users["grc"])

    content = text(client.get(REGISTER_URL, {"ordering": "severity"}))
    assert content.index(high.reference) < content.index(low.reference)
    assert 'aria-sort="ascending"' in content
    assert "ordering=-severity" in content  # the header now offers the other direction

    content = text(client.get(REGISTER_URL, {"ordering": "-severity"}))
    assert content.index(low.reference) < content.index(high.reference)
    assert 'aria-sort="descending"' in content


def test_htmx_request_gets_only_the_results(client, users):
    file_incident(users["grc"], title="Refund amounts wrong")
    file_incident(users["grc"], title="Loan bias")
    client.force_login(users["grc"])
    response = client.get(REGISTER_URL, {"q": "refund"}, HTTP_HX_REQUEST="true")
    content = text(response)
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="filter-form"' not in content
    assert "Refund amounts wrong" in content and "Loan bias" not in content


def test_register_paginates_25_per_page(client, users):
    for n in range(27):
        file_incident(users["grc"], title=f"Incident number {n:02d}")
    client.force_login(users["grc"])
    content = text(client.get(REGISTER_URL))
    assert "27 incidents" in content
    assert "Page 1 of 2" in content
    assert content.count('<a class="mono" href="/incidents/') == 25
    content = text(client.get(REGISTER_URL, {"page": 2}))
    assert content.count('<a class="mono" href="/incidents/') == 2


def test_export_link_carries_the_filters_and_only_for_allowed_roles(client, users):
    file_incident(users["grc"], title="Refund amounts wrong")
    client.force_login(users["auditor"])
    content = text(client.get(REGISTER_URL, {"q": "refund", "severity": "1", "page": "1"}))
    assert 'href="/reports/exports/new/?q=refund&amp;severity=1"' in content

    client.force_login(users["engineer"])
    assert "/reports/exports/new/" not in text(client.get(REGISTER_URL))


def test_register_query_count_does_not_grow_with_rows(client, users, make_system):
    systems = [make_system(name=f"S{n}") for n in range(3)]

    def queries_for_page():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(REGISTER_URL, {"state": "open"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        incident = file_incident(users["grc"], title=f"Few {n}", systems=systems[:2])
        services.incident_assign_lead(actor=users["grc"], incident=incident, lead=users["engineer"])
    client.force_login(users["grc"])
    few = queries_for_page()
    for n in range(22):
        incident = file_incident(users["grc"], title=f"Many {n}", systems=systems)
        services.incident_assign_lead(actor=users["grc"], incident=incident, lead=users["grc"])
    many = queries_for_page()
    assert many == few


# --- filing --------------------------------------------------------------------------------


def create_post(system, **overrides):
    data = {
        "title": "Refund bot promises 10x refunds",
        "description": "Customers were told they would get ten times their money back.",
        "kind": "incident",
        "types": ["harmful_output"],
        "detection_source": "user_report",
        "detected_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "failure_began_at": "",
        "systems": [system.pk],
        "failure_nature": "wrong_generation",
        "scope": "subset",
        "affected_inputs": "refund questions in German",
        "outputs_affected_estimate": "120",
        "individuals_affected_estimate": "",
        "harm_flags": [],
        "financial_impact_estimate": "",
        "financial_impact_currency": "USD",
        "jurisdictions": "eu, de",
        "links": "Ticket https://tickets.example.com/SUP-1",
        "severity": "2",
        "severity_reason": "Subset of outputs, no harm yet",
    }
    data.update(overrides)
    return data


def test_new_incident_page_renders_with_now_as_default(client, users, system):
    client.force_login(users["engineer"])
    response = client.get(CREATE_URL)
    content = text(response)
    assert response.status_code == 200
    assert "<title>New incident · Incident register · AIMS Register</title>" in content
    assert 'type="datetime-local"' in content
    assert timezone.localtime().strftime("%Y-%m-%dT") in content
    assert system.reference in content  # the affected-systems choice
    assert 'hx-post="/incidents/new/assist/"' in content
    assert "Suggested severity" in content and "Similar past incidents" in content


def test_new_incident_is_filed_with_system_and_severity(client, users, system):
    client.force_login(users["engineer"])
    response = client.post(CREATE_URL, create_post(system), follow=True)
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == page(incident)
    assert f"{incident.reference} was filed." in messages_of(response)
    assert incident.reported_by == users["engineer"]
    assert incident.severity == 2
    assert incident.jurisdictions == ["EU", "DE"]
    assert incident.links == [{"label": "Ticket", "url": "https://tickets.example.com/SUP-1"}]
    assert incident.affected_systems.get().model_version.version_label == "2.1"
    content = text(response)
    assert "Subset of outputs, no harm yet" in content  # the severity reason on the timeline


def test_new_incident_shows_field_errors(client, users, system):
    client.force_login(users["grc"])
    response = client.post(
        CREATE_URL,
        create_post(
            system,
            title="",
            jurisdictions="Europe",
            failure_began_at=(timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    content = text(response)
    assert response.status_code == 200
    assert "This field is required." in content
    assert "Not a jurisdiction code: EUROPE" in content
    assert "The failure cannot begin after it was detected." in content
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("role", ["auditor", "executive", "ethics"])
def test_roles_that_cannot_file_are_refused(client, users, system, role):
    client.force_login(users[role])
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, create_post(system)).status_code == 403
    assert client.post(ASSIST_URL, {"title": "x"}).status_code == 403
    assert Incident.objects.count() == 0
    assert "New incident" not in text(client.get(REGISTER_URL))


def test_assist_suggests_severity_and_shows_similar_incidents(client, users, system):
    earlier = file_incident(users["grc"], title="Refund bot invents refund amounts")
    unrelated = file_incident(users["grc"], title="Loan model drifts")
    client.force_login(users["grc"])
    response = client.post(
        ASSIST_URL,
        {
            "title": "Refund amounts invented again",
            "description": "",
            "harm_flags": ["personal_data_breach"],
        },
        HTTP_HX_REQUEST="true",
    )
    content = text(response)
    assert response.status_code == 200
    assert "<html" not in content
    assert 'class="chip chip-severity-0">P0 — critical<' in content
    assert "regulatory breach" in content
    assert earlier.reference in content
    assert f'href="{page(earlier)}"' in content
    assert unrelated.reference not in content


def test_assist_finds_past_incidents_of_the_same_system(client, users, system):
    earlier = file_incident(users["grc"], title="Something else entirely", systems=[system])
    client.force_login(users["engineer"])  # owns the system, so sees its incidents
    content = text(client.get(ASSIST_URL, {"systems": [system.pk]}))
    assert earlier.reference in content


def test_assist_without_facts_offers_no_suggestion(client, users):
    client.force_login(users["engineer"])
    content = text(client.get(ASSIST_URL))
    assert "Appears as you enter the facts" in content
    assert "chip-severity" not in content


# --- the incident page ---------------------------------------------------------------------


def checklist_states(content: str) -> dict:
    """Checklist label -> "Done" / "Not done", as the page says it in words."""
    items = re.findall(
        r'<span class="check-label">([^<]+)</span> <span class="check-state">([^<]+)</span>',
        content,
    )
    return dict(items)


def test_checklist_follows_the_record(client, users, system):
    grc = users["grc"]
    incident = file_incident(grc)
    client.force_login(grc)
    states = checklist_states(text(client.get(page(incident))))
    assert states == {
        "Severity determined": "Not done",
        "System, version and recent changes identified": "Not done",
        "Scope estimated — since when, how many outputs, which inputs": "Not done",
        "Evidence preserved": "Not done",
        "Immediate notifications made": "Not done",
    }

    services.incident_set_severity(actor=grc, incident=incident, severity=1, reason="Many users")
    services.incident_add_system(actor=grc, incident=incident, system=system)
    add_evidence(incident, grc)
    services.notification_record(
        actor=grc, incident=incident, recipients="System owner", channel="phone", summary="Told"
    )
    content = text(client.get(page(incident)))
    states = checklist_states(content)
    assert states["Severity determined"] == "Done"
    assert states["System, version and recent changes identified"] == "Done"
    assert states["Evidence preserved"] == "Done"
    assert states["Immediate notifications made"] == "Done"
    assert states["Scope estimated — since when, how many outputs, which inputs"] == "Not done"
    assert "1 evidence item(s)." in content


def test_incident_page_shows_header_systems_and_recent_changes(client, users, system):
    incident = file_incident(users["grc"], systems=[system], severity=0, reason="Harm")
    client.force_login(users["grc"])
    response = client.get(page(incident))
    content = text(response)
    assert response.status_code == 200
    assert (
        f"<title>{incident.reference} {incident.title} · Incidents · AIMS Register</title>"
        in content
    )
    assert 'class="chip chip-severity-0">P0 — critical<' in content
    assert 'class="chip chip-istatus-reported">Reported<' in content
    assert "Changes in the 14 days before detection" in content
    assert "PR-481" in content  # the deployment two days before detection
    assert "ab" * 32 in content  # the pinned artifact digest
    assert reverse("object-history", args=["incidents", "incident", incident.pk]) in content


def test_triage_refused_with_what_is_missing_then_allowed(client, users, system):
    grc = users["grc"]
    incident = file_incident(grc)
    client.force_login(grc)
    content = text(client.get(page(incident)))
    # The page says ahead of time what triage still needs.
    assert (
        "Triage needs a severity, at least one affected AI system, a detection source." in content
    )

    response = client.post(action("incident-transition", incident), {"to": "triaged"}, follow=True)
    assert any("Triage needs a severity" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.status == "reported"

    response = client.post(
        action("incident-transition", incident), {"to": "triaged"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "Triage needs a severity" in text(response)
    response = client.post(
        action("incident-transition", incident),
        {"to": "triaged"},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 409
    # A move the lifecycle does not have is refused the same way.
    response = client.post(
        action("incident-transition", incident), {"to": "closed"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "cannot move from reported to closed" in text(response)

    client.post(action("incident-severity", incident), {"severity": "2", "reason": "Subset"})
    client.post(action("incident-system", incident), {"system": system.pk})
    services.incident_update(actor=grc, incident=incident, data={"detection_source": "user_report"})
    response = client.post(action("incident-transition", incident), {"to": "triaged"}, follow=True)
    assert f"{incident.reference} is now Triaged." in messages_of(response)
    content = text(response)
    assert 'class="chip chip-istatus-triaged">Triaged<' in content
    assert "Status Reported → Triaged" in content


def test_mark_contained_needs_evidence_first(client, users, system):
    grc = users["grc"]
    incident = file_incident(
        grc, systems=[system], severity=2, reason="Subset", detection_source="user_report"
    )
    services.incident_transition(actor=grc, incident=incident, to="triaged")
    client.force_login(grc)
    assert "Preserve evidence first" in text(client.get(page(incident)))

    response = client.post(
        action("incident-transition", incident), {"to": "contained"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 409
    assert "Preserve evidence first" in text(response)
    response = client.post(
        action("incident-transition", incident), {"to": "contained"}, follow=True
    )
    assert any("Preserve evidence first" in m for m in messages_of(response))

    # A move that needs a reason says so.
    response = client.post(
        action("incident-transition", incident), {"to": "investigating"}, follow=True
    )
    assert any("This step needs a reason" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.status == "triaged"


def test_containment_refused_before_evidence_then_recorded(client, users, system):
    grc = users["grc"]
    incident = file_incident(grc, systems=[system])
    client.force_login(grc)
    assert "Preserve first." in text(client.get(page(incident)))
    response = client.post(
        action("incident-containment", incident),
        {"option": "pause", "rationale": "Stop the bot"},
        follow=True,
    )
    assert any("Preserve evidence first" in m for m in messages_of(response))
    assert not ContainmentDecision.objects.exists()
    response = client.post(
        action("incident-containment", incident),
        {"option": "pause", "rationale": "Stop the bot"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 409

    add_evidence(incident, grc)
    response = client.post(
        action("incident-containment", incident),
        {"option": "pause", "rationale": "Stop the bot"},
        follow=True,
    )
    assert "Containment decision recorded" in " ".join(messages_of(response))
    assert ContainmentDecision.objects.get().option == "pause"
    assert "Preserve first." not in text(response)


def test_evidence_upload_from_the_page_stores_and_shows_the_hash(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    client.force_login(users["engineer"])  # owns the system: may contribute
    content = b"2026-03-01T10:00:00Z refund=10000 EUR\n"
    response = client.post(
        action("evidence-add", incident),
        {
            "file": SimpleUploadedFile("chat-log.txt", content, content_type="image/png"),
            "kind": "sample_io",
            "description": "Conversation export",
            "period_start": "2026-03-01T09:00",
            "period_end": "2026-03-01T11:00",
        },
        follow=True,
    )
    evidence = Evidence.objects.get()
    digest = hashlib.sha256(content).hexdigest()
    assert evidence.sha256 == digest
    assert evidence.media_type == "text/plain"  # from the content, not the client's claim
    page_content = text(response)
    assert digest in page_content
    assert "chat-log.txt" in page_content
    assert f'href="/api/v1/evidence/{evidence.pk}/download/"' in page_content
    assert "Evidence preserved: chat-log.txt" in page_content


def test_evidence_over_the_limit_is_refused_with_the_size(client, users, system, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    incident = file_incident(users["grc"], systems=[system])
    client.force_login(users["grc"])
    response = client.post(
        action("evidence-add", incident),
        {"file": SimpleUploadedFile("big.bin", b"x" * 200_000), "kind": "other"},
        follow=True,
    )
    assert any("evidence files are limited to 1000" in m for m in messages_of(response))
    assert not Evidence.objects.exists()
    response = client.post(
        action("evidence-add", incident),
        {"file": SimpleUploadedFile("big.bin", b"x" * 200_000), "kind": "other"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 413


def test_note_is_shown_escaped(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    response = client.post(
        action("incident-note", incident),
        {"body": "Customer said <script>alert(1)</script>\nsecond line"},
        follow=True,
    )
    content = text(response)
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in content


def test_note_under_htmx_answers_the_timeline(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    response = client.post(
        action("incident-note", incident), {"body": "Paged the on-call"}, HTTP_HX_REQUEST="true"
    )
    content = text(response)
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="timeline-section"' in content
    assert "Paged the on-call" in content
    response = client.post(
        action("incident-note", incident), {"body": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "This field is required." in text(response)


def test_waiver_only_for_the_risk_officer(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    client.force_login(users["grc"])
    assert "Approve waiver" not in text(client.get(page(incident)))
    response = client.post(action("incident-waiver", incident), {"reason": "Urgent"})
    assert response.status_code == 403
    assert not incident.approvals.exists()

    client.force_login(users["risk_officer"])
    assert "Approve waiver" in text(client.get(page(incident)))
    response = client.post(
        action("incident-waiver", incident), {"reason": "Logs are retained upstream"}, follow=True
    )
    assert "The waiver of 'preserve evidence first' is approved." in messages_of(response)
    assert incident.approvals.get().subject == "evidence_waiver"
    content = text(response)
    assert "Approve waiver" not in content  # one waiver per incident
    assert "Waived with the risk officer" in content


def test_lead_participant_and_notification_from_the_page(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    response = client.post(
        action("incident-lead", incident), {"lead": users["engineer"].pk}, follow=True
    )
    assert f"{users['engineer']} now leads the incident." in messages_of(response)
    response = client.post(
        action("incident-participant", incident),
        {"user": users["dpo"].pk, "part": "subject_expert"},
        follow=True,
    )
    assert "joined as Subject expert" in " ".join(messages_of(response))
    response = client.post(
        action("incident-notification", incident),
        {"recipients": "AI risk officer", "channel": "phone", "summary": "Briefed"},
        follow=True,
    )
    assert "Notified AI risk officer by phone: Briefed" in text(response)
    incident.refresh_from_db()
    assert incident.lead == users["engineer"]


def test_the_leadership_notice_meets_the_p1_leadership_clock_from_the_page(client, users, system):
    from aims.clocks.services import clocks_of

    incident = file_incident(users["grc"], systems=[system], severity=1, reason="Many customers")
    leadership = clocks_of(incident).get(kind="leadership")
    assert leadership.met_at is None
    client.force_login(users["grc"])
    form = text(client.get(page(incident)))
    assert 'name="leadership"' in form
    client.post(
        action("incident-notification", incident),
        {"recipients": "Executive team", "channel": "e-mail", "summary": "P1 briefing"},
    )
    leadership.refresh_from_db()
    assert leadership.met_at is None, "an ordinary notification is not the leadership notice"
    response = client.post(
        action("incident-notification", incident),
        {
            "recipients": "Executive team",
            "channel": "meeting",
            "summary": "P1 briefing",
            "leadership": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    leadership.refresh_from_db()
    assert leadership.met_at is not None


def test_engineer_not_owning_the_system_gets_404(client, users, make_user, system):
    incident = file_incident(users["grc"], systems=[system])
    stranger = make_user("engineer", username="stranger")
    client.force_login(stranger)
    assert client.get(page(incident)).status_code == 404
    assert client.post(action("incident-note", incident), {"body": "hi"}).status_code == 404
    assert client.get(action("incident-edit", incident)).status_code == 404
    assert incident.timeline.filter(actor=users["grc"]).exists()  # the filing is there
    assert not incident.timeline.filter(actor=stranger).exists()
    assert incident.reference not in text(client.get(REGISTER_URL))


def test_auditor_reads_the_page_but_gets_no_action_forms(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    client.force_login(users["auditor"])
    response = client.get(page(incident))
    content = text(response)
    assert response.status_code == 200
    assert "What the next step needs" in content
    assert f'action="/incidents/{incident.pk}/' not in content  # no action form at all
    assert "Add note" not in content and "Upload evidence" not in content
    assert reverse("incidents:incident-edit", args=[incident.pk]) not in content
    assert "Triage needs" in content  # what is missing is still shown
    response = client.post(action("incident-note", incident), {"body": "auditor note"})
    assert response.status_code == 403
    response = client.post(
        action("incident-transition", incident), {"to": "rejected", "reason": "x"}
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "reported"


# --- editing -------------------------------------------------------------------------------


def edit_post(response, **overrides):
    """What a browser would send back for the edit form as rendered, with some changes."""
    form = response.context["form"]
    data = {}
    for bound in form:
        value = bound.value()
        if bound.widget_type == "checkbox":
            if value:
                data[bound.name] = "on"
            continue
        if bound.widget_type == "checkboxselectmultiple":
            data[bound.name] = list(value or [])
            continue
        value = bound.field.prepare_value(value)  # datetimes: naive, in the current zone
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%dT%H:%M")
        data[bound.name] = "" if value is None else value
    data.update(overrides)
    return data


def test_edit_saves_only_what_changed(client, users):
    incident = file_incident(users["grc"], jurisdictions=["EU"])
    detected_at = incident.detected_at
    client.force_login(users["grc"])
    form_page = client.get(action("incident-edit", incident))
    assert form_page.status_code == 200
    content = text(form_page)
    assert f"<title>Edit {incident.reference} · Incidents · AIMS Register</title>" in content
    assert reverse("object-history", args=["incidents", "incident", incident.pk]) in content
    response = client.post(
        action("incident-edit", incident),
        edit_post(form_page, verification_note="Replayed 200 failing German refund questions."),
        follow=True,
    )
    assert f"{incident.reference} was saved." in messages_of(response)
    incident.refresh_from_db()
    assert incident.verification_note.startswith("Replayed 200")
    assert incident.detected_at == detected_at  # not rewritten to the minute
    assert incident.jurisdictions == ["EU"]
    assert "Updated verification_note" in text(response)


def test_edit_holds_detection_to_1970_in_the_words_of_the_api(client, users, api_client_for):
    incident = file_incident(users["grc"])
    detected_at = incident.detected_at
    client.force_login(users["grc"])
    form_page = client.get(action("incident-edit", incident))
    response = client.post(
        action("incident-edit", incident), edit_post(form_page, detected_at="1960-03-01T10:00")
    )
    assert response.status_code == 200  # the form again, with the error at the field
    words = "1960-03-01T10:00:00+00:00 is before 1970: check the year."
    assert words in response.context["form"].errors["detected_at"]
    incident.refresh_from_db()
    assert incident.detected_at == detected_at
    api = api_client_for(users["grc"]).patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"detected_at": "1960-03-01T10:00:00Z"},
        format="json",
        headers={"If-Match": version_of(incident)},
    )
    assert api.status_code == 400 and api.json()["fields"]["detected_at"] == [words]
    # Positive control: a year this side of 1970 is saved.
    response = client.post(
        action("incident-edit", incident), edit_post(form_page, detected_at="1971-03-01T10:00")
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.detected_at.year == 1971


def test_stale_edit_is_refused_and_overwrites_nothing(client, users):
    incident = file_incident(users["grc"])
    client.force_login(users["grc"])
    form_page = client.get(action("incident-edit", incident))
    # Someone else saves in between.
    services.incident_update(
        actor=users["risk_officer"], incident=incident, data={"title": "Retitled by the officer"}
    )
    response = client.post(
        action("incident-edit", incident), edit_post(form_page, title="My title")
    )
    assert response.status_code == 412
    assert "changed by someone else" in text(response)
    incident.refresh_from_db()
    assert incident.title == "Retitled by the officer"
    assert response.context["form"]["version"].value() != version_of(incident)


def test_edit_refused_for_contributors_who_do_not_manage(client, users, system):
    incident = file_incident(users["grc"], systems=[system])
    client.force_login(users["engineer"])
    assert client.get(page(incident)).status_code == 200
    assert client.get(action("incident-edit", incident)).status_code == 403


# --- navigation and home --------------------------------------------------------------------


def test_navigation_offers_register_and_filing_by_role(client, users):
    client.force_login(users["grc"])
    content = text(client.get(CREATE_URL))
    assert '<a href="/incidents/new/" aria-current="page">New incident</a>' in content
    assert '<a href="/incidents/">Register</a>' in content
    client.force_login(users["auditor"])
    content = text(client.get(REGISTER_URL))
    assert '<a href="/incidents/" aria-current="page">Register</a>' in content
    assert "/incidents/new/" not in content


def test_home_shows_register_figures_and_my_open_incidents(client, users):
    mine = file_incident(users["engineer"], title="Mine to follow", severity=0, reason="harm")
    file_incident(users["grc"], title="Someone else's")
    client.force_login(users["engineer"])
    content = text(client.get(reverse("home")))
    assert "My open incidents" in content
    assert mine.reference in content
    assert "Someone else" not in content
    assert "open P0/P1" in content
