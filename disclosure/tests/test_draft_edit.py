"""A report draft is pre-filled with its gaps marked, then completed as text before legal
approves it: edited while a draft (page and API, If-Match), fixed once approved."""

import re

import pytest

from aims.core.concurrency import etag_of
from aims.core.exceptions import Conflict, PermissionRefused, StaleVersion
from disclosure import services
from incidents.tests.factories import file_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(users, make_system):
    system = make_system(name="Claims triage", gdpr_role="controller")
    incident = file_incident(users["grc"], systems=[system], harm_flags=["personal_data_breach"])
    assessment = services.assessment_refresh(actor=users["dpo"], incident=incident)
    return services.obligation_draft(
        actor=users["dpo"], obligation=assessment.obligations.get(code="gdpr_art33")
    )


def test_a_draft_is_completed_then_fixed_once_approved(draft, users):
    text = draft.content.replace("[to complete: number of records]", "about 1,200 claim letters")
    edited = services.communication_edit(
        actor=users["dpo"], communication=draft, data={"content": text}
    )
    assert "about 1,200 claim letters" in edited.content
    assert "[to complete: number of records]" not in edited.content
    assert draft.incident.timeline.filter(summary__startswith="Draft communication edited").exists()
    services.communication_approve(actor=users["legal"], communication=edited)
    with pytest.raises(Conflict, match="Only a draft is edited"):
        services.communication_edit(
            actor=users["dpo"], communication=edited, data={"content": "Something else"}
        )


def test_editing_needs_the_communication_roles_and_the_current_version(draft, users):
    with pytest.raises(PermissionRefused):
        services.communication_edit(
            actor=users["auditor"], communication=draft, data={"subject": "x"}
        )
    stale = etag_of(draft)
    services.communication_edit(actor=users["dpo"], communication=draft, data={"subject": "New"})
    with pytest.raises(StaleVersion):
        services.communication_edit(
            actor=users["legal"],
            communication=draft,
            data={"subject": "Other"},
            expected_version=stale,
        )


def test_the_api_edits_with_if_match(draft, users, api_client_for):
    api = api_client_for(users["dpo"])
    url = f"/api/v1/communications/{draft.pk}/"
    got = api.get(url)
    assert got.status_code == 200 and got["ETag"]
    response = api.patch(
        url, {"channel": "ICO online form"}, format="json", HTTP_IF_MATCH=got["ETag"]
    )
    assert response.status_code == 200 and response.json()["channel"] == "ICO online form"
    again = api.patch(url, {"channel": "post"}, format="json", HTTP_IF_MATCH=got["ETag"])
    assert again.status_code == 412
    refused = api_client_for(users["auditor"]).patch(url, {"channel": "x"}, format="json")
    assert refused.status_code == 403
    empty = api.patch(url, {"content": ""}, format="json")
    assert empty.status_code == 400


def test_the_page_offers_the_edit_to_who_may_communicate(draft, users, client):
    client.force_login(users["dpo"])
    html = client.get(draft.incident.get_absolute_url()).content.decode()
    assert f"/disclosure/communications/{draft.pk}/edit/" in html
    page = client.get(draft.incident.get_absolute_url()).content.decode()
    tag = re.search(rf'<input[^>]*id="edit-{draft.pk}-version"[^>]*>', page).group(0)
    version = re.search(r'value="([^"]+)"', tag).group(1)
    response = client.post(
        f"/disclosure/communications/{draft.pk}/edit/",
        {
            "subject": "Completed",
            "channel": "ICO form",
            "content": "All filled in.",
            "version": version,
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject == "Completed" and draft.content == "All filled in."
    stale = client.post(
        f"/disclosure/communications/{draft.pk}/edit/",
        {"subject": "Again", "channel": "x", "content": "y", "version": version},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.subject == "Completed"
    assert "changed" in stale.content.decode().lower() or "stale" in stale.content.decode().lower()
    client.force_login(users["auditor"])
    assert (
        f"/disclosure/communications/{draft.pk}/edit/"
        not in client.get(draft.incident.get_absolute_url()).content.decode()
    )
    refused = client.post(
        f"/disclosure/communications/{draft.pk}/edit/",
        {"subject": "No", "channel": "x", "content": "y"},
    )
    assert refused.status_code == 403
