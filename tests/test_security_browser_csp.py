"""The Content-Security-Policy in a real Chromium: every main page loads and works with no
violation reported (no inline script, style or handler left anywhere), and htmx still updates
the pages it enhances."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.choices import DetectionSource, Severity

# Records every violation the page reports, from the first byte of each document on.
COLLECT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Violations:
    """CSP violations seen by a page: its console errors and its securitypolicyviolation
    events (the events of the document shown now)."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(COLLECT)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _console(self, message):
        text = message.text
        if message.type == "error" and (
            "Content Security Policy" in text or "Content-Security-Policy" in text
        ):
            self.console.append(text)

    def events(self):
        return self.page.evaluate("window.__cspViolations || []")

    def assert_none(self, where):
        assert self.console == [], (where, self.console)
        assert self.events() == [], (where, self.events())


def visit(page, seen, url, *, title):
    response = page.goto(url)
    assert response.status == 200, url
    expect(page).to_have_title(title)
    page.wait_for_load_state("load")
    seen.assert_none(url)


def sign_in(page, live_server, username):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-Secret-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Home · AIMS Register")


@pytest.fixture
def register_data(make_user, make_system):
    from incidents import services

    grc = make_user("grc", username="gina")
    system = make_system(actor=grc, name="Refund assistant")
    incident = services.incident_create(
        actor=grc,
        data={
            "title": "Refund bot promises 10x refunds",
            "description": "Customers asking in German were promised ten times their money.",
            "detection_source": DetectionSource.USER_REPORT,
            "detected_at": timezone.now() - timedelta(days=2),
        },
        systems=[system],
        severity=Severity.P1,
        severity_reason="Public promise to customers",
    )
    services.incident_create(
        actor=grc,
        data={
            "title": "Hiring screener skips older applicants",
            "description": "Applicants over 50 are ranked last.",
            "detection_source": DetectionSource.MONITORING,
            "detected_at": timezone.now() - timedelta(days=1),
        },
        systems=[system],
        severity=Severity.P2,
        severity_reason="Fairness",
    )
    return {"grc": grc, "system": system, "incident": incident}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_main_page_runs_under_the_policy_without_a_violation(
    page, live_server, register_data
):
    seen = Violations(page)
    base = live_server.url
    incident, system = register_data["incident"], register_data["system"]

    # Anonymous pages.
    visit(page, seen, base + "/accounts/login/", title="Sign in · AIMS Register")
    visit(page, seen, base + "/report/", title=re.compile("AIMS Register"))
    visit(page, seen, base + "/admin/login/", title=re.compile("Django|Log in"))
    visit(page, seen, base + "/api/docs/", title=re.compile("AIMS Register API|Swagger"))
    # Swagger UI rendered from its own files: the operations list is there.
    expect(page.locator(".swagger-ui .info")).to_contain_text("AIMS Register API")
    expect(page.locator(".opblock").first).to_be_visible()
    seen.assert_none("/api/docs/ rendered")

    sign_in(page, live_server, "gina")
    seen.assert_none("home")
    visit(page, seen, base + "/incidents/", title="Incident register · AIMS Register")

    # htmx on the register: typing filters the results in place, without a reload.
    with page.expect_response(
        lambda r: "q=screener" in r.url and r.request.headers.get("hx-request")
    ):
        page.locator("#filter-q").press_sequentially("screener", delay=10)
    results = page.locator("#results")
    expect(results).to_contain_text("Hiring screener skips older applicants")
    expect(results).not_to_contain_text("Refund bot promises 10x refunds")
    # Empty filters stay out of the pushed URL (static JS, formerly an inline hx-on handler).
    expect(page).to_have_url(re.compile(r"/incidents/\?q=screener$"))
    seen.assert_none("register filtered")

    visit(page, seen, base + incident.get_absolute_url(), title=re.compile(incident.reference))
    # The note form answers a refused note (blanks only) with 400 and its errors, swapped in
    # place (static JS, formerly an inline hx-on handler).
    page.get_by_role("textbox", name="Note").fill("   ")
    with page.expect_response(lambda r: r.url.endswith("/notes/") and r.status == 400):
        page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline-section .error").first).to_contain_text("required")
    page.get_by_role("textbox", name="Note").fill("Checked under the policy.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline-list")).to_contain_text("Checked under the policy.")
    seen.assert_none("incident page")

    visit(
        page,
        seen,
        base + "/incidents/new/",
        title="New incident · Incident register · AIMS Register",
    )
    page.get_by_role("textbox", name="Title", exact=True).press_sequentially("Refund bot", delay=10)
    expect(page.locator("#assist")).to_contain_text("Refund bot promises 10x refunds")
    seen.assert_none("new incident with similar incidents")

    visit(page, seen, base + "/systems/", title="AI systems · AIMS Register")
    visit(page, seen, base + system.get_absolute_url(), title=re.compile(system.reference))
    visit(page, seen, base + "/inbox/", title=re.compile("Inbox"))
    visit(page, seen, base + "/reports/", title=re.compile("Reports"))
    visit(page, seen, base + "/reports/review/dashboard/", title=re.compile("Management review"))
    # The charts keep their colours: their <style> (with the response's nonce) was applied.
    bar = page.locator("figure.chart svg .color-0 rect, figure.chart svg rect.color-0").first
    fill = bar.evaluate("node => getComputedStyle(node).fill")
    assert fill not in ("", "rgb(0, 0, 0)"), fill
    seen.assert_none("dashboard")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_collector_reports_a_violation(page, live_server):
    """Positive control: an inline style attribute and an inline script are caught."""
    seen = Violations(page)
    page.goto(live_server.url + "/accounts/login/")
    page.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<div style="color: red">x</div>');
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.ran === undefined")
    events = seen.events()
    assert any(e.startswith("style-src") for e in events), events
    assert any(e.startswith("script-src") for e in events), events
    assert any("Content Security Policy" in text for text in seen.console), seen.console
