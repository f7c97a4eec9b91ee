"""Reads of the regimes table."""

from django.db.models import QuerySet

from . import rules
from .models import RegimeRule


def regime_rules() -> QuerySet[RegimeRule]:
    return RegimeRule.objects.order_by("code", "position", "stage")


def regimes() -> list[rules.Regime]:
    """The rows as the pure rules read them (one query)."""
    return [row.as_regime() for row in regime_rules()]
