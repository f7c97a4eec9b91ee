"""Test data for impact assessments, made through the real services."""

from datetime import date

from risk import services


def complete_data(**extra) -> dict:
    return {
        "intended_use": "Answer customers' questions about their orders and refunds.",
        "foreseeable_misuse": "Asked for legal or medical advice; prompt injection in orders.",
        "affected_groups": "Customers, including vulnerable and non-native speakers.",
        "societal_impact": "Low: one retailer's support channel; no access to essential services.",
        "jurisdictions": ["EU", "DE"],
        "result": "acceptable",
        "next_due_date": date(2027, 6, 1),
        **extra,
    }


def draft_assessment(actor, system, **extra):
    return services.impact_create(actor=actor, system=system, data=complete_data(**extra))


def submitted_assessment(actor, system, **extra):
    assessment = draft_assessment(actor, system, **extra)
    return services.impact_transition(actor=actor, assessment=assessment, to="submitted")


def approved_assessment(author, approver, system, comment="Reviewed with the owner.", **extra):
    assessment = submitted_assessment(author, system, **extra)
    return services.impact_transition(
        actor=approver, assessment=assessment, to="approved", reason=comment
    )
