"""How an obligation's deadline clock names its record and writes its deliveries."""


def resolve_role(obligation, pseudo_role: str) -> list:
    if pseudo_role == "incident_lead":
        incident = obligation.assessment.incident
        return [incident.lead] if incident.lead_id else []
    return []


def describe(obligation) -> tuple[str, str]:
    incident = obligation.assessment.incident
    due = f" due {obligation.deadline:%Y-%m-%d %H:%M} UTC" if obligation.deadline else ""
    return (
        f"{obligation.code} ({obligation.stage}) for {incident.reference}{due}",
        incident.get_absolute_url(),
    )


def card(obligation) -> dict:
    incident = obligation.assessment.incident
    return {
        "reference": f"{obligation.code} ({obligation.stage}) — {incident.reference}",
        "severity": f"P{incident.severity}" if incident.severity is not None else "",
        "status": obligation.get_status_display(),
    }


def record_delivery(obligation, delivery, attempt) -> None:
    from incidents.events import delivery_event

    delivery_event(incident=obligation.assessment.incident, delivery=delivery, attempt=attempt)
