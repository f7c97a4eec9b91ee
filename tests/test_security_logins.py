"""Brute-force protection of sign-in (django-axes): the sign-in page and the admin's login share
one count per username and address; a locked-out pair is refused even with the right password
until the cool-off has passed."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-Secret-123"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def address():
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def sign_in(client, username, password, url=LOGIN):
    return client.post(url, {"username": username, "password": password})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_twenty_wrong_passwords_lock_the_account_out_until_the_cool_off_ends(make_user, address):
    user = make_user("grc", username="gina")
    client = Client(REMOTE_ADDR=address)
    with time_machine.travel(START, tick=False) as clock:
        answers = [sign_in(client, "gina", "wrong-guess").status_code for _ in range(20)]
        limit = settings.AXES_FAILURE_LIMIT
        assert limit == 5
        # Wrong passwords get the form back until the limit; from then on the lock-out page.
        assert answers[: limit - 1] == [200] * (limit - 1)
        assert set(answers[limit - 1 :]) == {429}

        refused = sign_in(client, "gina", PASSWORD)
        assert refused.status_code == 429
        page = refused.content.decode()
        assert "Sign-in paused" in page
        assert "even the right password is refused" in page
        assert "Try again in 15 minutes" in page
        assert signed_in_as(client) is None
        assert client.get("/").status_code == 302  # still not signed in

        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=5))
        assert sign_in(client, "gina", PASSWORD).status_code == 429
        assert signed_in_as(client) is None

        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        welcomed = sign_in(client, "gina", PASSWORD)
        assert welcomed.status_code == 302
        assert welcomed["Location"] == "/"
        assert signed_in_as(client) == str(user.pk)


@pytest.mark.django_db
def test_a_few_wrong_passwords_do_not_lock_out(make_user, address):
    user = make_user("grc", username="gina")
    client = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = sign_in(client, "gina", "wrong-guess")
        assert wrong.status_code == 200
        assert "Please enter a correct username and password" in wrong.content.decode()
    assert sign_in(client, "gina", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(user.pk)


@pytest.mark.django_db
def test_the_lock_out_is_per_username_and_address(make_user, address):
    make_user("grc", username="gina")
    other = make_user("engineer", username="eli")
    attacker = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker, "gina", "wrong-guess")
    assert sign_in(attacker, "gina", PASSWORD).status_code == 429

    # The same person from their own address, and another account from the attacker's, still
    # sign in.
    gina_at_her_desk = Client(REMOTE_ADDR="192.0.2.10")
    assert sign_in(gina_at_her_desk, "gina", PASSWORD).status_code == 302
    assert sign_in(attacker, "eli", PASSWORD).status_code == 302
    assert signed_in_as(attacker) == str(other.pk)


@pytest.mark.django_db
def test_the_admin_login_goes_through_the_same_protection(make_user, address):
    make_user("grc", username="ada", admin=True)
    client = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ada", "wrong-guess", url=ADMIN_LOGIN).status_code == 200
    # The fifth failure, on the other page, completes the same count.
    assert sign_in(client, "ada", "wrong-guess").status_code == 429

    refused = sign_in(client, "ada", PASSWORD, url=ADMIN_LOGIN)
    assert refused.status_code == 429
    assert "Sign-in paused" in refused.content.decode()
    assert signed_in_as(client) is None

    # Positive control: from another address the admin login lets her in.
    elsewhere = Client(REMOTE_ADDR="192.0.2.20")
    welcomed = sign_in(elsewhere, "ada", PASSWORD, url=ADMIN_LOGIN)
    assert welcomed.status_code == 302
    assert elsewhere.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_token_clients_are_not_affected_by_a_locked_out_sign_in(make_user, address, api_client_for):
    engineer = make_user("engineer", username="eli")
    client = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "eli", "wrong-guess")
    assert sign_in(client, "eli", PASSWORD).status_code == 429
    me = api_client_for(engineer).get("/api/v1/me/", REMOTE_ADDR=address)
    assert me.status_code == 200
    assert me.json()["username"] == "eli"


@pytest.mark.django_db
@override_settings(CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_behind_a_proxy_the_lock_out_keys_on_the_address_the_proxy_saw(make_user, address):
    """Everyone comes from the proxy; the client's address is the last X-Forwarded-For entry
    (the one the proxy wrote), whatever the client put before it."""
    make_user("grc", username="gina")
    proxy = "172.16.0.2"

    def via_proxy(forwarded):
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)

    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(via_proxy(f"198.51.100.{n}, {address}"), "gina", "wrong-guess")
    assert sign_in(via_proxy(f"198.51.100.99, {address}"), "gina", PASSWORD).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert sign_in(via_proxy("192.0.2.30"), "gina", PASSWORD).status_code == 302
