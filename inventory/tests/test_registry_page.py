"""The system page's model-registry card: the link, the sync log, and "Sync now" for the roles
that record the system's versions."""

import pytest
from django.urls import reverse

from inventory.models import ModelRegistryLink, RegistrySync

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked(users, make_system):
    system = make_system()
    ModelRegistryLink.objects.create(
        system=system,
        tracking_uri="http://127.0.0.1:5000",
        model_name="credit-scorer",
        linked_by=users["grc"],
    )
    return system


def test_owner_sees_the_registry_and_syncs_now(users, linked, client):
    client.force_login(users["engineer"])  # the business owner
    page = client.get(linked.get_absolute_url()).content.decode()
    assert "credit-scorer" in page and "@champion" in page and "No sync yet." in page
    assert "Sync now" in page
    answer = client.post(reverse("inventory:registry-sync", args=[linked.pk]), follow=True)
    assert "A sync with the model registry is queued" in answer.content.decode()
    sync = RegistrySync.objects.get()
    assert (sync.requested_by, sync.status) == (users["engineer"], "queued")
    assert "Queued" in answer.content.decode()


def test_an_auditor_reads_the_log_but_is_not_offered_the_sync(users, linked, client):
    client.force_login(users["auditor"])
    page = client.get(linked.get_absolute_url()).content.decode()
    assert "credit-scorer" in page  # positive control: the card is shown
    assert "Sync now" not in page
    refused = client.post(reverse("inventory:registry-sync", args=[linked.pk]))
    assert refused.status_code == 403
    assert not RegistrySync.objects.exists()


def test_a_system_without_a_link_has_no_registry_card(users, make_system, client):
    system = make_system()
    client.force_login(users["grc"])
    page = client.get(system.get_absolute_url()).content.decode()
    assert "Model versions" in page and "Sync log" not in page
