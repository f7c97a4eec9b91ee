"""The inventory in the admin: readable by support staff, written only by the services."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_superuser_reads_a_system_in_the_admin_but_cannot_change_or_delete_it(
    client, make_user, make_system
):
    from aims.audit.chain import verify_chain

    system = make_system(name="Loan triage")
    client.force_login(make_user("grc", admin=True))
    listing = client.get("/admin/inventory/aisystem/")
    assert listing.status_code == 200 and "Loan triage" in listing.content.decode()
    page = client.get(f"/admin/inventory/aisystem/{system.pk}/change/")
    assert page.status_code == 200  # the view page, read-only
    assert 'name="_save"' not in page.content.decode()
    changed = client.post(
        f"/admin/inventory/aisystem/{system.pk}/change/", {"name": "Renamed", "_save": "Save"}
    )
    assert changed.status_code == 403
    deleted = client.post(f"/admin/inventory/aisystem/{system.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert client.get("/admin/inventory/aisystem/add/").status_code == 403
    system.refresh_from_db()
    assert system.name == "Loan triage"
    assert verify_chain().intact
