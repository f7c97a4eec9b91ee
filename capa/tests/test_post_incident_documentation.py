"""The documentation check computed from the record: the inventory's validation status and
incident link, the model card where the root cause revealed a limitation, the change log's
rollback; and the timeline read from the incident."""

from datetime import timedelta

import pytest
from django.utils import timezone

from capa import selectors
from capa.choices import RemediationKind
from incidents.tests.factories import deploy, model_version
from inventory import services as inventory

from .pir_factories import closed_incident, review_for

pytestmark = pytest.mark.django_db


def gaps(review):
    return {(d["code"], d["ok"]) for d in selectors.review_computed(review)["documentation"]}


def test_the_check_finds_the_gaps_then_sees_them_closed(users, make_system):
    grc = users["grc"]
    system = make_system(name="Loan scoring", model_card_url="https://cards.example.com/v1")
    version = model_version(system, grc, "v1")
    deploy(system, grc, version, at=timezone.now() - timedelta(days=30))
    review = review_for(closed_incident(grc, system))
    from capa import services

    review = services.review_update(actor=grc, review=review, data={"limitation_revealed": True})
    found = gaps(review)
    assert ("validation_status", False) in found
    assert ("incident_link", True) in found  # pinned to v1, running at detection
    assert ("model_card", False) in found
    inventory.system_update(
        actor=grc,
        system=system,
        data={
            "validation_status": "in_validation",
            "model_card_url": "https://cards.example.com/v2",
        },
    )
    found = gaps(review)
    assert ("validation_status", True) in found and ("model_card", True) in found


def test_a_rollback_done_must_show_in_the_change_log(users, make_system):
    grc = users["grc"]
    system = make_system(name="Loan scoring")
    good = model_version(system, grc, "v1")
    deploy(system, grc, good, at=timezone.now() - timedelta(days=30))
    incident = closed_incident(grc, system)
    review = review_for(incident)
    # The incident's plan records a rollback done.
    from capa import services

    item = services.remediation_item_add(
        actor=grc,
        incident=incident,
        horizon="immediate",
        kind=RemediationKind.ROLLBACK,
        description="Roll back to v1.",
        owner=grc,
        due_on=timezone.localdate(),
    )
    services.remediation_item_done(actor=grc, item=item, note="Rolled back.")
    computed = selectors.review_computed(review)
    assert computed["rollback_done"] is True
    assert ("rollback_logged", False) in gaps(review)
    deploy(system, grc, good, change_type="rollback", at=timezone.now())
    assert ("rollback_logged", True) in gaps(review)


def test_the_timeline_is_read_from_the_incident(users, make_system):
    grc = users["grc"]
    began = timezone.now() - timedelta(days=3)
    incident = closed_incident(
        grc, make_system(), failure_began_at=began, detected_at=began + timedelta(hours=4)
    )
    line = selectors.review_computed(review_for(incident))["timeline"]
    assert line["time_to_detect_seconds"] == 4 * 3600
    assert line["time_to_detect_text"] == "4 h 0 min"
    assert line["time_to_contain_seconds"] is not None
    assert line["total_seconds"] >= line["time_to_resolve_seconds"]
    root_cause = selectors.review_computed(review_for(incident))["root_cause"]
    assert root_cause["category"] == "integration_bug" and root_cause["evidence"]
