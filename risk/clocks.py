"""How a risk's review clock names its record in reminders and escalations."""


def resolve_role(risk, pseudo_role: str) -> list:
    if pseudo_role == "risk_owner":
        return [risk.owner] if risk.owner_id else []
    return []


def describe(risk) -> tuple[str, str]:
    due = f" due {risk.next_review_date:%Y-%m-%d}" if risk.next_review_date else ""
    return f"Review of {risk.reference} {risk.title}{due}", risk.get_absolute_url()


def card(risk) -> dict:
    return {
        "reference": risk.reference,
        "status": risk.get_status_display(),
        "system": ", ".join(risk.systems.order_by("name").values_list("name", flat=True)),
    }


def impact_resolve_role(record, pseudo_role: str) -> list:
    """``system_owner``: the technical owner of the assessed system, else its business owner."""
    if pseudo_role == "system_owner":
        system = record.system
        owner = system.technical_owner or system.business_owner
        return [owner] if owner else []
    return []


def impact_describe(assessment) -> tuple[str, str]:
    due = f" due {assessment.next_due_date:%Y-%m-%d}" if assessment.next_due_date else ""
    return (
        f"Impact assessment {assessment.reference} of {assessment.system.reference}{due}",
        assessment.get_absolute_url(),
    )


def flag_describe(flag) -> tuple[str, str]:
    return (
        f"Impact assessment of {flag.system.reference} due for review: {flag.reason}",
        flag.get_absolute_url(),
    )
