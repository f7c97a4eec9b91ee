"""Readiness evidence: exercises back the incident-management controls of Annex A.

A closed exercise (``incidents`` kind ``exercise``: a tabletop exercise or simulation run
through the full workflow) shows the incident process works before a real incident tests it.
It appears, without anyone linking it, as a record of the Annex A controls on handling and
communicating incidents in the evidence map (``risk.selectors.evidence_map``):

- A.8.4 Communication of incidents — the plan for telling users and others of an incident,
  played in the exercise;
- A.8.3 External reporting — the reporting and notification chain, rehearsed (an exercise
  proposes no real regulatory notification: ``disclosure.rules``).

Only closed exercises count (the exercise was carried through); the record is dated on the day
it closed. A restricted exercise is named by its reference only, as the map is read by people
who may not see it.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.choices import Kind, Status

READINESS_CONTROLS = ("A.8.3", "A.8.4")
KIND = "exercise"  # how the map names these records


def exercise_records() -> dict[str, list[dict]]:
    """Per control code, the closed exercises as evidence-map records. One query."""
    from incidents.models import Incident

    records = []
    for incident in (
        Incident.objects.filter(kind=Kind.EXERCISE, status=Status.CLOSED, closed_at__isnull=False)
        .only("id", "reference", "title", "restricted", "closed_at")
        .order_by("-closed_at", "-id")
    ):
        title = _("restricted") if incident.restricted else incident.title
        records.append(
            {
                "label": f"{incident.reference} {title}",
                "kind": KIND,
                "date": timezone.localdate(incident.closed_at),
                "target_type": "incident",
                "target_id": incident.pk,
                "note": _("Exercise carried through to closure: readiness evidence."),
                "automatic": True,
            }
        )
    return {code: list(records) for code in READINESS_CONTROLS}
