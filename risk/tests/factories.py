"""Test data for the risk register, made through the real services."""

from risk import services
from risk.choices import RiskCategory


def risk_data(owner, **extra) -> dict:
    return {
        "title": "Assistant gives wrong refund amounts",
        "description": "The support assistant states refund amounts the policy does not allow.",
        "cause": "Retrieval misses the current refund policy.",
        "consequence": "Customers are promised money; complaints; regulator interest.",
        "category": RiskCategory.PERFORMANCE,
        "owner": owner,
        **extra,
    }


def raise_risk(actor, *, owner=None, **extra):
    return services.risk_create(actor=actor, data=risk_data(owner or actor, **extra))


def treated_risk(actor, *, controls, residual=(3, 4), inherent=(4, 5), **extra):
    """A risk moved to treated: assessed with ``inherent``, mitigated by ``controls`` to
    ``residual`` (default 12: high, above the default threshold 9)."""
    risk = raise_risk(
        actor,
        inherent_likelihood=inherent[0],
        inherent_impact=inherent[1],
        treatment="mitigate",
        residual_likelihood=residual[0],
        residual_impact=residual[1],
        controls=list(controls),
        **extra,
    )
    risk = services.risk_transition(actor=actor, risk=risk, to="assessed")
    return services.risk_transition(actor=actor, risk=risk, to="treated")
