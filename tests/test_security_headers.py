"""Security headers: the Content-Security-Policy every page is served with, and the protected
reporting channel's caching and rate-limit headers."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings

from incidents.tests.test_protected_channel import REPORT

REPORT_URL = "/report/"
STATUS_URL = "/report/status/"
DASHBOARD = "/reports/review/dashboard/"
START = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)

POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def directives(response) -> list[str]:
    return [part.strip() for part in response["Cache-Control"].split(",")]


@pytest.fixture
def address():
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


# --- Content-Security-Policy ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/", "/incidents/", "/systems/", "/inbox/", "/reports/", "/accounts/profile/"]
)
def test_signed_in_pages_carry_the_strict_policy(url, users):
    client = Client()
    client.force_login(users["grc"])
    response = client.get(url)
    assert response.status_code == 200
    assert policy(response) == POLICY
    html = response.content.decode()
    assert "<script>" not in html and " hx-on" not in html and " style=" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", REPORT_URL, "/api/docs/"])
def test_public_pages_carry_the_strict_policy(url):
    response = Client().get(url)
    assert response.status_code == 200
    assert policy(response) == POLICY
    assert "<script>" not in response.content.decode()


@pytest.mark.django_db
def test_api_docs_load_their_start_up_script_from_a_file():
    page = Client().get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = Client().get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_dashboard_charts_carry_the_nonce_of_their_response(users):
    client = Client()
    client.force_login(users["grc"])
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    styles = policy(response)["style-src"]
    assert styles[0] == "'self'" and len(styles) == 2
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]+)'", styles[1]).group(1)
    html = response.content.decode()
    assert html.count("<svg") == 6
    assert html.count(f'<style nonce="{nonce}"') == 6
    assert html.count("<style") == 6
    assert " style=" not in html
    # Each response has its own nonce.
    again = policy(client.get(DASHBOARD))["style-src"][1]
    assert again != styles[1]


# --- the protected reporting channel -------------------------------------------------------


@pytest.mark.django_db
def test_report_pages_say_no_store_and_private_once(address):
    client = Client(REMOTE_ADDR=address)
    answers = {
        "form": client.get(REPORT_URL),
        "receipt": client.post(REPORT_URL, REPORT),
        "status": client.get(STATUS_URL),
        "refused": client.post(STATUS_URL, {"code": "nope"}),
    }
    for name, response in answers.items():
        cache_control = directives(response)
        assert "no-store" in cache_control, name
        assert "private" in cache_control, name
        assert len(cache_control) == len(set(cache_control)), (name, response["Cache-Control"])
        assert response["Referrer-Policy"] == "no-referrer", name
    assert answers["receipt"].status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data", "limit"),
    [(REPORT_URL, REPORT, 5), (STATUS_URL, {"code": "ABCD-EFGH-JKLM"}, 20)],
    ids=["submit", "status"],
)
def test_rate_limited_report_pages_say_when_to_come_back(address, url, data, limit):
    client = Client(REMOTE_ADDR=address)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(limit):
            assert client.post(url, data).status_code in (200, 404)
        limited = client.post(url, data)
        assert limited.status_code == 429
        assert "Please wait a little" in limited.content.decode()
        wait = int(limited["Retry-After"])
        assert 1 <= wait <= 3600
        cache_control = directives(limited)
        assert "no-store" in cache_control and "private" in cache_control
        assert len(cache_control) == len(set(cache_control))

        clock.shift(timedelta(seconds=wait - 1))
        assert client.post(url, data).status_code == 429
        clock.shift(timedelta(seconds=1))
        assert client.post(url, data).status_code in (200, 404)


@pytest.mark.django_db
@override_settings(
    CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR", RATELIMIT_IP_META_KEY="aims.settings.client.client_ip"
)
def test_behind_a_proxy_the_report_form_limits_the_address_the_proxy_saw(address):
    """A forwarded list is not one address (django-ratelimit alone would fail on it with a
    500): the last entry, which the proxy wrote, is counted; what the client put before it
    changes nothing."""

    def via_proxy(forwarded):
        return Client(REMOTE_ADDR="172.16.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    with time_machine.travel(START, tick=False):
        answers = [
            via_proxy(f"198.51.100.{n}, {address}").post(REPORT_URL, REPORT).status_code
            for n in range(6)
        ]
        assert answers == [200] * 5 + [429]
        assert via_proxy("192.0.2.40").post(REPORT_URL, REPORT).status_code == 200
