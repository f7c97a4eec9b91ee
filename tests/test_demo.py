"""``manage.py load_demo``: a user per role, six systems, a few incidents — and safe to run twice."""

from io import StringIO

import pytest
from django.core.management import call_command

from aims.accounts.choices import Role
from aims.accounts.models import User
from aims.audit.chain import verify_chain
from incidents.models import Incident
from inventory.models import AISystem, Deployment, ModelRegistryLink

pytestmark = pytest.mark.django_db


def test_load_demo_is_complete_and_idempotent():
    first = StringIO()
    call_command("load_demo", stdout=first)
    counts = (
        User.objects.count(),
        AISystem.objects.count(),
        Deployment.objects.count(),
        Incident.objects.count(),
    )
    assert counts[1:] == (6, 10, 4)
    assert {role for user in User.objects.all() for role in user.role_names} == set(Role.values)
    grace = User.objects.get(username="grace")
    assert grace.is_staff and grace.is_superuser and grace.title == "GRC lead"
    assert grace.check_password("demo-Register-2026")
    assert "grace    grc" in first.getvalue()

    second = StringIO()
    call_command("load_demo", stdout=second)
    assert (
        User.objects.count(),
        AISystem.objects.count(),
        Deployment.objects.count(),
        Incident.objects.count(),
    ) == counts
    assert "0 AI systems and 0 incidents added" in second.getvalue()
    # One system is linked to an MLflow registry; nothing pretends a server answered.
    (link,) = ModelRegistryLink.objects.all()
    assert (link.system.name, link.tracking_uri, link.model_name) == (
        "Card fraud detector",
        "http://127.0.0.1:5000",
        "card-fraud-detector",
    )
    assert link.last_synced_at is None and not link.syncs.exists()
    assert link.last_sync_summary.startswith("Not synced yet")
    assert verify_chain().intact
    contained = Incident.objects.get(status="contained")
    assert (
        contained.evidence.count() == 1
        and contained.affected_systems.get().model_version is not None
    )


def test_the_demo_has_one_closed_p1_an_auditor_can_follow():
    from capa.models import (
        CorrectiveAction,
        ManagementReviewIncident,
        PostIncidentReview,
        RootCause,
        ScopeConfirmation,
    )
    from risk.models import RiskIncidentLink

    call_command("load_demo", stdout=StringIO())
    closed = Incident.objects.get(status="closed")
    assert closed.severity == 1 and closed.root_cause_confirmed_at is not None
    cause = RootCause.objects.get(incident=closed, confirmed_at__isnull=False)
    assert cause.category == "vendor_model_change" and cause.evidence_links.exists()
    scope = ScopeConfirmation.objects.get(incident=closed)
    assert scope.is_confirmed and scope.lower_bound < scope.confirmed_count < scope.upper_bound
    action = CorrectiveAction.objects.filter(incidents=closed).order_by("pk").first()
    check = action.effectiveness_check
    assert action.status == "verified_effective" and check.verified_by != action.owner
    assert set(RiskIncidentLink.objects.filter(incident=closed).values_list("kind", flat=True)) == {
        "materialised",
        "rerated",
    }
    review = PostIncidentReview.objects.get(incident=closed)
    assert review.status == "approved" and review.approved_by.username == "rick"
    assert ManagementReviewIncident.objects.filter(incident=closed).exists()
