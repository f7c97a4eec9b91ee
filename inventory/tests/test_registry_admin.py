"""The registry link is reference data GRC edits in the admin; its sync log is read-only."""

import pytest

from inventory.models import ModelRegistryLink

pytestmark = pytest.mark.django_db


def test_grc_links_a_system_in_the_admin(make_user, make_system, client):
    admin_user = make_user("grc", admin=True)
    system = make_system()
    client.force_login(admin_user)
    form = client.get("/admin/inventory/modelregistrylink/add/").content.decode()
    assert "Tracking URI" in form
    response = client.post(
        "/admin/inventory/modelregistrylink/add/",
        {
            "system": system.pk,
            "tracking_uri": "https://mlflow.example.org",
            "model_name": "scorer",
            "production_alias": "champion",
            "staging_alias": "champion",
            "active": "on",
            "linked_by": admin_user.pk,
            "syncs-TOTAL_FORMS": "0",
            "syncs-INITIAL_FORMS": "0",
        },
    )
    assert "The staging alias must differ from the production alias." in response.content.decode()
    assert not ModelRegistryLink.objects.exists()
    response = client.post(
        "/admin/inventory/modelregistrylink/add/",
        {
            "system": system.pk,
            "tracking_uri": "https://ci:s3cret@mlflow.example.org",
            "model_name": "scorer",
            "production_alias": "champion",
            "active": "on",
            "linked_by": admin_user.pk,
            "syncs-TOTAL_FORMS": "0",
            "syncs-INITIAL_FORMS": "0",
        },
    )
    assert "Leave credentials out of the URI" in response.content.decode()
    assert not ModelRegistryLink.objects.exists()
    response = client.post(
        "/admin/inventory/modelregistrylink/add/",
        {
            "system": system.pk,
            "tracking_uri": "https://mlflow.example.org",
            "model_name": "scorer",
            "production_alias": "champion",
            "staging_alias": "",
            "active": "on",
            "linked_by": admin_user.pk,
            "syncs-TOTAL_FORMS": "0",
            "syncs-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    link = ModelRegistryLink.objects.get()
    assert link.history.get().history_user == admin_user
