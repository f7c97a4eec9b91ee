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
