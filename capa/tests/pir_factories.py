"""Closed incidents and their post-incident reviews, made through the real services."""

import time_machine

from capa import services
from capa.choices import ProcessFollowed
from incidents.choices import Status
from incidents.tests.factories import incident_at

LESSONS = {
    "controls_failed": "The retraining gate did not compare postcode segments.",
    "controls_worked": "Drift monitoring alerted within the hour.",
    "process_followed": ProcessFollowed.PARTLY,
    "process_notes": "Containment waited for the lead, who was on leave.",
    "caught_sooner": "A segment-level evaluation before each retrain.",
}


def closed_incident(actor, system, *, at=None, **data):
    """An incident taken through the whole lifecycle to closed (``at`` freezes the clock)."""
    if at is None:
        return incident_at(Status.CLOSED, actor, system, **data)
    with time_machine.travel(at, tick=False):
        return incident_at(Status.CLOSED, actor, system, **data)


def review_for(incident):
    from capa.models import PostIncidentReview

    return PostIncidentReview.objects.select_related("incident").get(incident=incident)


def submitted_review(actor, system):
    review = review_for(closed_incident(actor, system))
    services.review_update(actor=actor, review=review, data=LESSONS)
    return services.review_submit(actor=actor, review=review)
