"""The risk officer's and GRC's home panel: risks past review, and residual risks above the
threshold awaiting acceptance; not shown to the other roles."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from risk.models import Control
from risk.tests.factories import raise_risk, treated_risk

pytestmark = pytest.mark.django_db


def test_the_home_panel_lists_what_needs_the_risk_officer(users, client):
    grc = users["grc"]
    due = raise_risk(
        grc, title="Stale review", next_review_date=timezone.localdate() + timedelta(days=3)
    )
    high = treated_risk(grc, controls=[Control.objects.first()], title="Awaits acceptance")
    low = treated_risk(
        grc, controls=[Control.objects.first()], residual=(1, 2), title="Below the threshold"
    )
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        client.force_login(users["risk_officer"])
        body = client.get("/").content.decode()
    assert "Risks past their review date" in body
    assert due.reference in body and "Stale review" in body
    assert high.reference in body and "Awaits acceptance" in body
    assert low.reference not in body


@pytest.mark.parametrize("role", ["auditor", "engineer", "executive"])
def test_the_panel_is_for_grc_and_the_risk_officer_only(role, users, client):
    raise_risk(users["grc"], next_review_date=timezone.localdate() + timedelta(days=1))
    client.force_login(users[role])
    assert "Risks past their review date" not in client.get("/").content.decode()
    client.force_login(users["grc"])
    assert "Risks past their review date" in client.get("/").content.decode()
