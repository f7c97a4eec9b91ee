"""End to end in a real headless Chromium: file an incident, triage it, preserve evidence,
contain it, investigate, remediate, verify and resolve — the response lifecycle as GRC staff
walk it in the browser."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect


def deployed_system(make_system, actor):
    """An AI system with a model version in production since yesterday, via the inventory's
    own services."""
    from inventory import services

    system = make_system(name="Refund assistant")
    version = services.model_version_create(
        actor=actor, system=system, data={"version_label": "3.2", "artifact_digest": "sha256:feed"}
    )
    services.deployment_record(
        actor=actor,
        system=system,
        data={
            "model_version": version,
            "environment": "production",
            "deployed_at": timezone.now() - timedelta(days=1),
            "change_type": "prompt_change",
            "change_reference": "PR-1207",
        },
    )
    return system


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-Secret-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Home · AIMS Register")


def move(page, label, expected_status):
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_test_id("status-chip")).to_have_text(expected_status)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_grc_walks_an_incident_from_filing_to_resolved(page, live_server, make_user, make_system):
    grc = make_user("grc", username="gina")
    system = deployed_system(make_system, grc)
    sign_in(page, live_server, "gina")

    # File it, with the suggested severity shown as the facts are entered.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New incident").click()
    expect(page).to_have_title("New incident · Incident register · AIMS Register")
    page.get_by_role("textbox", name="Title", exact=True).fill("Refund bot promises 10x refunds")
    page.get_by_role("textbox", name="Description", exact=True).fill(
        "Customers asking in German were promised ten times their money back."
    )
    page.get_by_role("combobox", name="Detection source").select_option(label="User report")
    page.get_by_role("listbox", name="Affected AI systems").select_option(label=str(system))
    page.get_by_role("checkbox", name="Reputational risk if public").check()
    assist = page.locator("#assist")
    expect(assist).to_contain_text("P1 — high")
    expect(assist).to_contain_text("reputational risk if public")
    page.get_by_role("combobox", name="Severity", exact=True).select_option(label="P1 — high")
    page.get_by_role("textbox", name="Why this severity").fill("Public promise to customers")
    page.get_by_role("button", name="File incident").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"INC-\d{4}-\d{4} Refund bot promises 10x refunds"))
    expect(page.get_by_role("status")).to_contain_text("was filed")
    expect(page.get_by_test_id("status-chip")).to_have_text("Reported")
    expect(page.locator(".incident-head")).to_contain_text("P1 — high")
    expect(page.get_by_text("PR-1207")).to_be_visible()  # the change before detection

    # Triage: severity, system and detection source are there.
    move(page, "Triage", "Triaged")

    # Preserve evidence before anyone remediates.
    evidence = page.locator("form", has=page.get_by_role("button", name="Upload evidence"))
    evidence.get_by_label("File").set_input_files(
        files=[
            {
                "name": "chat-export.txt",
                "mimeType": "text/plain",
                "buffer": b"2026-03-01 customer: refund? bot: you get 10x back\n",
            }
        ]
    )
    evidence.get_by_label("Kind").select_option(label="Sample inputs / outputs")
    evidence.get_by_role("button", name="Upload evidence").click()
    expect(page.get_by_role("status")).to_contain_text("chat-export.txt was preserved")
    expect(page.locator(".evidence-table")).to_contain_text("chat-export.txt")

    # Containment: option B, then mark contained.
    containment = page.locator("form", has=page.get_by_role("button", name="Record decision"))
    containment.get_by_label("B — pause the use case; human-only processing").check()
    containment.get_by_label("Rationale").fill("Route refund questions to the support team.")
    containment.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("Containment decision recorded")
    move(page, "Mark contained", "Contained")
    move(page, "Start investigation", "Investigating")
    move(page, "Start remediation", "Remediating")

    # Resolving needs a verification note: the page says so, the edit form records it.
    expect(page.locator(".guard-list")).to_contain_text("Resolving needs a verification note")
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Edit INC-\d{4}-\d{4} · Incidents"))
    page.get_by_role("textbox", name="Verification note").fill(
        "Replayed the 40 failing German refund questions against the fixed prompt: all correct."
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("was saved")
    move(page, "Resolve", "Resolved")

    timeline = page.locator("#timeline-list")
    for step in (
        "Reported: Refund bot promises 10x refunds",
        "Severity none → P1 — high: Public promise to customers",
        "Status Reported → Triaged",
        "Evidence preserved: chat-export.txt",
        "Containment decision — B — pause the use case; human-only processing",
        "Status Triaged → Contained",
        "Status Contained → Investigating",
        "Status Investigating → Remediating",
        "Updated verification_note",
        "Status Remediating → Resolved",
    ):
        expect(timeline).to_contain_text(step)
    expect(page.get_by_test_id("status-chip")).to_have_text("Resolved")

    # The note form adds to the timeline in place (htmx) and shows the note as text.
    page.get_by_role("textbox", name="Note").fill("Customers <b>compensated</b>.")
    page.get_by_role("button", name="Add note").click()
    expect(timeline).to_contain_text("Customers <b>compensated</b>.")

    # The register finds it again, with its chips.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Register", exact=True
    ).click()
    expect(page).to_have_title("Incident register · AIMS Register")
    page.get_by_role("searchbox", name="Search", exact=True).press_sequentially("refund")
    expect(page).to_have_url(re.compile(r"q=refund"))
    row = page.locator("tbody tr").filter(has_text="Refund bot promises 10x refunds")
    expect(row).to_contain_text("Resolved")
    expect(row).to_contain_text("P1 — high")
    expect(row).to_contain_text(system.reference)
