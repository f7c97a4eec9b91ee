"""Every page and form of the browser x role x scope, from the same ``table`` as the API matrix.

- a page answers 200 to the roles the table allows, 403 to those it refuses, 404 where the
  record is outside what the role may see, and sends a signed-out visitor to the login page;
  an allowed form that redirects adds no error message (it did what was asked);
- the incident page offers exactly the action forms the table allows that role there;
- a refused form answers the same status and the same words as the API refusal of the same
  action, and those words are the permission rule's ``Decision`` message;
- a URL pattern no table entry covers fails ``test_every_url_pattern_is_in_the_table``.
"""

import html as html_lib
import re

import pytest
from django.contrib import messages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from . import test_api_matrix as api_matrix
from .snapshot import snapshot
from .table import (
    ACTIONS,
    ANONYMOUS,
    API,
    DEFECTS,
    HTML,
    INCIDENT_SCOPES,
    ROLES,
    URL_PREFIXES_NOT_IN_MATRIX,
    expected_status,
    visible,
)

# One worker runs the whole module (make test: --dist loadgroup), so the world is built once.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("permissions-html")]

LOGIN = "/accounts/login/"
ALERT = re.compile(r'role="alert">(.*?)</p>', re.S)
API_BY_KEY = {api.key: api for api in API}


def _marks(matrix, key, role, scope):
    reason = DEFECTS.get((matrix, key, role, scope))
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _has_target(page, role, scope):
    action = ACTIONS[page.action]
    return not (scope == "own" and action.kind == "run" and role not in api_matrix.RUN_OWNERS)


def _cases():
    for page in HTML:
        for role in (*ROLES, ANONYMOUS):
            scopes = page.scopes[:1] if role == ANONYMOUS else page.scopes
            for scope in scopes:
                if _has_target(page, role, scope):
                    yield pytest.param(
                        page,
                        role,
                        scope,
                        id=f"{page.key}|{role}|{scope}",
                        marks=_marks("html", page.key, role, scope),
                    )


def url_of(world, page, role, scope):
    kwargs = page.kwargs(world, role, scope) if page.kwargs else None
    return reverse(page.url_name, kwargs=kwargs)


def client_for(world, page, role):
    if not page.fresh_client:
        return world.html[role]
    client = Client()
    if role != ANONYMOUS:
        client.force_login(world.users[role])
    return client


def submit(world, page, role, scope):
    client = client_for(world, page, role)
    url = url_of(world, page, role, scope)
    body = page.body(world, role, scope) if page.body else None
    if page.method == "GET":
        return client.get(url, body or {})
    return client.post(url, body or {})


def expected(world, page, role, scope):
    action = ACTIONS[page.action]
    if action.kind == "public":
        return page.ok
    if action.kind == "anonymous_only":
        return page.ok if role == ANONYMOUS else page.refused
    if role == ANONYMOUS:
        return 302  # to the login page
    return expected_status(action, world, role, scope, page.ok, refused=page.refused)


def error_messages(response) -> list[str]:
    """The error messages the request added: a form that redirects with one did not do what
    was asked, however allowed the role was."""
    storage = getattr(response.wsgi_request, "_messages", None)
    return [str(m) for m in getattr(storage, "_queued_messages", ()) if m.level >= messages.ERROR]


def alert_text(response) -> str:
    found = ALERT.search(response.content.decode())
    return html_lib.unescape(found.group(1)).strip() if found else ""


@pytest.mark.parametrize(("page", "role", "scope"), list(_cases()))
def test_html_matrix(case_world, page, role, scope):
    action = ACTIONS[page.action]
    want = expected(case_world, page, role, scope)
    refused = want in (403, 404) or (role == ANONYMOUS and action.kind not in ("public",))
    before = snapshot() if refused and action.write else None
    response = submit(case_world, page, role, scope)
    assert response.status_code == want, alert_text(response) or response.content[:300]
    if role == ANONYMOUS and want == 302 and action.kind != "public":
        assert response["Location"].startswith(LOGIN)
    if want == 403 and page.refused == 403:
        assert alert_text(response), "a refusal says why"
    if not refused:
        assert not error_messages(response), error_messages(response)
    if before is not None:
        assert snapshot() == before, "a refused form changed something"


# --- the incident page offers exactly the allowed forms --------------------------------------

OFFERED = [page for page in HTML if page.marker]


def _offer_cases():
    for role in ROLES:
        for scope in INCIDENT_SCOPES:
            yield pytest.param(
                role, scope, id=f"{role}|{scope}", marks=_marks("offer", "page", role, scope)
            )


@pytest.mark.parametrize(("role", "scope"), list(_offer_cases()))
def test_incident_page_offers_exactly_the_allowed_forms(case_world, role, scope):
    response = case_world.html[role].get(
        reverse("incidents:incident-detail", kwargs={"pk": case_world.incidents[scope].pk})
    )
    if not visible(ACTIONS["incident.retrieve"], case_world, role, scope):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    content = response.content.decode()
    offered = {
        page.action for page in OFFERED if f'"{url_of(case_world, page, role, scope)}"' in content
    }
    allowed = {page.action for page in OFFERED if ACTIONS[page.action].allowed(role, scope)}
    assert offered == allowed
    # Positive control: the page always links its case file, which every viewer may read.
    assert (
        f'"{reverse("reporting:incident-case-file", kwargs={"pk": case_world.incidents[scope].pk})}"'
        in content
    )


# --- a refused form answers as the API does, in the rule's words -----------------------------


def _word_cases():
    for page in HTML:
        if not page.api:
            continue
        for role in ROLES:
            for scope in page.scopes:
                if expected(None, page, role, scope) not in (403, 404):
                    continue  # allowed: its success is test_html_matrix's
                yield pytest.param(
                    page,
                    role,
                    scope,
                    id=f"{page.key}|{role}|{scope}",
                    marks=_marks("words", page.key, role, scope),
                )


@pytest.mark.parametrize(("page", "role", "scope"), list(_word_cases()))
def test_a_refused_form_answers_like_the_api(case_world, page, role, scope):
    want = expected(case_world, page, role, scope)
    api = API_BY_KEY[page.api]
    api_scope = scope if scope in api.scopes else api.scopes[0]
    html_response = submit(case_world, page, role, scope)
    api_response = api_matrix.call(case_world, api, role, api_scope)
    assert html_response.status_code == api_response.status_code == want
    if want == 404:
        return
    words = alert_text(html_response)
    assert words == api_response.json()["message"]
    rule = ACTIONS[page.action].rule
    if rule is not None:
        assert words == rule(case_world.users[role], case_world, scope).message


# --- every URL pattern has an entry ----------------------------------------------------------


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            child = f"{namespace}{ns}:" if ns else namespace
            yield from _walk(entry.url_patterns, route, child)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else None


def test_every_url_pattern_is_in_the_table():
    walked = {name: route for route, name in _walk(get_resolver().url_patterns)}
    # Positive control: the walk reaches nested, namespaced patterns and the skipped ones.
    assert walked["incidents:incident-detail"] == "incidents/<int:pk>/"
    assert walked["protected:convert"] == "protected-reports/<int:pk>/convert/"
    assert any(route.startswith("api/") for route in walked.values())
    covered = {page.url_name for page in HTML}
    missing = sorted(
        f"{route} ({name})"
        for route, name in _walk(get_resolver().url_patterns)
        if not route.lstrip("^").startswith(URL_PREFIXES_NOT_IN_MATRIX) and name not in covered
    )
    assert not missing, f"URL patterns with no entry in tests/permissions/table.py: {missing}"


def test_every_table_page_resolves():
    for page in HTML:
        assert page.url_name in {name for _, name in _walk(get_resolver().url_patterns)}, page


# --- the protected channel: the reporter's identity ------------------------------------------


@pytest.mark.parametrize("role", [r for r in ROLES if r != "engineer"])
def test_a_reporters_identity_is_shown_to_ethics_and_grc_only(case_world, role):
    """The handlers' page names the reporter; the incident opened from a report never does,
    on its page or over the API, whoever reads it."""
    report_page = case_world.html[role].get(
        reverse("protected:detail", kwargs={"pk": case_world.report.pk})
    )
    if role in ("ethics", "grc"):
        assert report_page.status_code == 200
        assert "Whistle Blower" in report_page.content.decode()
    else:
        assert report_page.status_code == 403
        assert "Whistle Blower" not in report_page.content.decode()
    incident = case_world.incidents["protected"]
    page = case_world.html[role].get(
        reverse("incidents:incident-detail", kwargs={"pk": incident.pk})
    )
    api = case_world.api[role].get(f"/api/v1/incidents/{incident.pk}/")
    assert page.status_code == api.status_code == 200  # everyone but the engineer reads it
    assert "hiring screener ranks women lower" in page.content.decode()  # positive control
    for response in (page, api):
        text = response.content.decode()
        assert "Concerned Colleague" not in text
