"""Paging services in the admin: reference data whose key is write-only."""

import pytest
from django.contrib.auth import get_user_model

from aims.notify.models import PageEvent, PagingService

pytestmark = pytest.mark.django_db

KEY = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY12"
URL = "/admin/notify/pagingservice/"


@pytest.fixture
def admin_client(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345678")
    client.force_login(root)
    return client


def form(**extra):
    return {
        "name": "AI on-call",
        "vendor": "pagerduty",
        "api_url": "",
        "key_env": "",
        "key": "",
        "role": "ciso",
        "page_incidents": "on",
        "active": "on",
        **extra,
    }


def test_the_key_is_stored_never_shown_and_kept_when_left_empty(admin_client):
    response = admin_client.post(f"{URL}add/", form(key=KEY))
    assert response.status_code == 302, response.content.decode()[:2000]
    service = PagingService.objects.get()
    assert service.key == KEY and service.base_url == "https://events.pagerduty.com"
    page = admin_client.get(f"{URL}{service.pk}/change/").content.decode()
    assert KEY not in page and f"•••• {KEY[-4:]} (32 characters)" in page
    assert admin_client.post(f"{URL}{service.pk}/change/", form(name="Renamed")).status_code == 302
    service.refresh_from_db()
    assert (service.name, service.key) == ("Renamed", KEY)
    history = admin_client.get(f"{URL}{service.pk}/history/").content.decode()
    assert "Renamed" in history and KEY not in history
    assert not hasattr(PagingService.history.model, "key")


def test_a_service_needs_a_key_or_the_variable_that_holds_it(admin_client):
    response = admin_client.post(f"{URL}add/", form())
    assert response.status_code == 200 and PagingService.objects.count() == 0
    assert "Name the environment variable that holds the key" in response.content.decode()
    ok = admin_client.post(f"{URL}add/", form(key_env="PAGERDUTY_ROUTING_KEY", vendor="opsgenie"))
    assert ok.status_code == 302
    assert PagingService.objects.get().base_url == "https://api.opsgenie.com"


def test_clearing_the_key_needs_the_variable_instead(admin_client):
    service = PagingService.objects.create(name="x", vendor="pagerduty", key=KEY)
    response = admin_client.post(f"{URL}{service.pk}/change/", form(clear_key="on"))
    assert response.status_code == 200  # refused: no key left and no variable named
    refused = admin_client.post(
        f"{URL}{service.pk}/change/", form(clear_key="on", key_env="PD_KEY")
    )
    assert refused.status_code == 302
    service.refresh_from_db()
    assert (service.key, service.key_env) == ("", "PD_KEY")


def test_page_events_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/notify/pageevent/").status_code == 200
    assert admin_client.get("/admin/notify/pageevent/add/").status_code == 403
    assert PageEvent.objects.count() == 0
