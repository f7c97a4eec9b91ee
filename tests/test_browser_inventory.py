"""End to end in a real headless Chromium: sign in, add an AI system, find it again."""

import re

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_grc_adds_a_system_and_finds_it_with_search(page, live_server, make_user):
    make_user("grc", username="gina")
    owner = make_user("engineer", username="eli", first_name="Eli", last_name="Engineer")

    page.goto(live_server.url + "/accounts/login/")
    expect(page).to_have_title("Sign in · AIMS Register")
    page.get_by_label("Username").fill("gina")
    page.get_by_label("Password").fill("pw-Secret-123")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Systems").click()
    expect(page).to_have_title("AI systems · AIMS Register")
    expect(page.get_by_text("The inventory has no AI systems yet.")).to_be_visible()

    page.get_by_role("link", name="New AI system").click()
    expect(page).to_have_title("New AI system · AI systems · AIMS Register")
    page.get_by_role("textbox", name="Name", exact=True).fill("Mortgage pre-screening")
    page.get_by_role("textbox", name="Intended purpose").fill(
        "Rank mortgage applications for manual review"
    )
    page.get_by_role("combobox", name="Business owner").select_option(label=str(owner))
    page.get_by_role("button", name="Add AI system").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"AIS-\d{4} Mortgage pre-screening"))
    expect(page).to_have_title(re.compile(r"^AIS-\d{4} Mortgage pre-screening · AI systems"))
    expect(page.get_by_role("status")).to_contain_text("was added to the inventory")
    reference = re.search(r"AIS-\d{4}", heading.inner_text()).group(0)

    page.get_by_role("link", name="AI systems").first.click()
    expect(page).to_have_title("AI systems · AIMS Register")

    # Type in the filter bar: htmx replaces the results and keeps the URL bookmarkable.
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request")):
        page.locator("#filter-q").press_sequentially("nothing-like-it", delay=10)
    expect(page.locator("#results")).to_contain_text("No AI systems match these filters.")

    page.locator("#filter-q").fill("")
    with page.expect_response(lambda r: "q=Mortgage" in r.url):
        page.locator("#filter-q").press_sequentially("Mortgage", delay=10)
    results = page.locator("#results")
    expect(results.get_by_role("link", name=reference)).to_be_visible()
    expect(results).to_contain_text("Mortgage pre-screening")
    expect(page).to_have_url(re.compile(r"/systems/\?q=Mortgage$"))
    expect(page).to_have_title("AI systems · AIMS Register")
