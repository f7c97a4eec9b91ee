"""Typed timeline entries of the CAPA records, written on each linked incident's timeline, so the
case file shows the path from the incident to the fix and its verification."""

from incidents.choices import TimelineKind
from incidents.events import module_event


def capa_linked_event(*, incident, actor, capa):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"{capa.reference} raised ({capa.get_action_type_display().lower()}, "
        f"{capa.get_horizon_display().lower()}): {capa.title}, owner {capa.owner}",
        data={"module": "capa", "capa": capa.pk, "reference": capa.reference},
    )


def capa_status_event(*, incidents, actor, capa, source, target, reason=""):
    summary = f"{capa.reference} {source} -> {target}"
    if reason:
        summary += f": {reason}"
    for incident in incidents:
        module_event(
            incident=incident,
            actor=actor,
            kind=TimelineKind.UPDATE if target != "verified_effective" else TimelineKind.APPROVAL,
            summary=summary,
            data={"module": "capa", "capa": capa.pk, "from": source, "to": target},
        )


def check_result_event(*, incidents, actor, capa, check):
    summary = f"{capa.reference} effectiveness check {check.get_result_display().lower()}"
    if check.result_note:
        summary += f": {check.result_note}"
    for incident in incidents:
        module_event(
            incident=incident,
            actor=actor,
            kind=TimelineKind.APPROVAL,
            summary=summary,
            data={"module": "capa", "capa": capa.pk, "result": check.result},
        )


def no_capa_event(*, incident, actor, decision):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"No CAPA needed: {decision.reason}",
        data={"module": "capa", "no_capa": True},
    )
