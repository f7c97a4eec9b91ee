"""API throttling: a client over its rate gets 429 JSON with Retry-After; per user for
authenticated clients (people and tokens), per address for anonymous ones. Counted in Redis."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from aims.core.api.throttling import AnonRateThrottle, UserRateThrottle

ME = "/api/v1/me/"
SCHEMA = "/api/schema/?format=json"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def rates(**scopes):
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}
    )


def forget(throttle, ident):
    """Counts from earlier runs of the suite (the same user ids) must not mix in."""
    cache.delete(throttle.cache_format % {"scope": throttle.scope, "ident": ident})


@pytest.fixture
def address():
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def test_production_defaults_are_configured_and_high_enough_for_monitoring_tools():
    from aims.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"user": "600/min", "anon": "60/min"}
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "aims.core.api.throttling.AnonRateThrottle",
        "aims.core.api.throttling.UserRateThrottle",
    ]
    # The test settings keep throttling on, at rates no test run reaches.
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] == "100000/min"


@pytest.mark.django_db
def test_a_token_client_over_its_rate_gets_429_with_retry_after(make_user, api_client_for):
    eli, gina = make_user("engineer", username="eli"), make_user("grc", username="gina")
    for user in (eli, gina):
        forget(UserRateThrottle, user.pk)
    eli_client, gina_client = api_client_for(eli), api_client_for(gina)
    with rates(user="3/min", anon="100/min"), time_machine.travel(START, tick=False) as clock:
        assert [eli_client.get(ME).status_code for _ in range(3)] == [200, 200, 200]

        refused = eli_client.get(ME)
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "throttled"
        assert "Expected available in 60 seconds" in body["message"]
        assert refused["Retry-After"] == "60"

        # Per user: another client is not held back by Eli's requests.
        assert gina_client.get(ME).status_code == 200

        clock.shift(timedelta(seconds=61))
        assert eli_client.get(ME).status_code == 200


@pytest.mark.django_db
def test_session_clients_are_throttled_per_user_too(make_user):
    gina = make_user("grc", username="gina")
    forget(UserRateThrottle, gina.pk)
    client = APIClient()
    client.force_login(gina)
    with rates(user="2/min", anon="100/min"), time_machine.travel(START, tick=False):
        assert [client.get(ME).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db
def test_anonymous_clients_are_throttled_per_address(address):
    forget(AnonRateThrottle, address)
    forget(UserRateThrottle, address)
    other = address.rsplit(".", 1)[0] + ".0"
    forget(AnonRateThrottle, other)
    forget(UserRateThrottle, other)
    client = APIClient(REMOTE_ADDR=address)
    with rates(user="100/min", anon="1/min"), time_machine.travel(START, tick=False):
        assert client.get(SCHEMA).status_code == 200
        refused = client.get(SCHEMA)
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled"
        assert int(refused["Retry-After"]) == 60
        assert APIClient(REMOTE_ADDR=other).get(SCHEMA).status_code == 200


@pytest.mark.django_db
def test_an_anonymous_api_request_is_refused_before_it_is_counted(address):
    """Unauthenticated calls to the API answer 401 and are not counted, so a rate of one stays
    available for the schema."""
    forget(AnonRateThrottle, address)
    client = APIClient(REMOTE_ADDR=address)
    with rates(user="100/min", anon="1/min"), time_machine.travel(START, tick=False):
        assert [client.get(ME).status_code for _ in range(3)] == [401, 401, 401]
        assert client.get(SCHEMA).status_code == 200


@pytest.mark.django_db
def test_the_pagerduty_webhook_is_throttled_per_address_like_other_anonymous_calls(address):
    """It takes no token (its body's signature authenticates it), so the per-address rate
    applies: a flood of unsigned or badly signed bodies is cut off."""
    forget(AnonRateThrottle, address)
    client = APIClient(REMOTE_ADDR=address)
    url = "/api/v1/paging/pagerduty/"
    with (
        override_settings(PAGERDUTY_WEBHOOK_SECRET="s3cret"),
        rates(user="100/min", anon="2/min"),
        time_machine.travel(START, tick=False),
    ):
        statuses = [client.post(url, b"{}", content_type="application/json").status_code]
        statuses += [client.post(url, b"{}", content_type="application/json").status_code]
        refused = client.post(url, b"{}", content_type="application/json")
        assert statuses == [401, 401]
        assert refused.status_code == 429 and refused.json()["code"] == "throttled"
