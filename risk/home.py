"""The risk officer's and GRC's home-page panel: risks past their review date, residual risks
above the acceptance threshold still awaiting an acceptance (clause 6.1.3; 8.3), and documented
information whose approved version no longer matches — the generated incident-management
procedure after a configuration change, or a version marked outdated (clause 7.5.2)."""

from django.utils import timezone

from aims.accounts.choices import Role
from aims.core.permissions import has_role

from . import rules, selectors
from .choices import OPEN_RISK_STATUSES, RiskStatus

PANEL_ROWS = 10


def panel_visible(user) -> bool:
    return has_role(user, Role.GRC, Role.RISK_OFFICER)


def outdated_documents() -> list:
    """Documents whose approved version is outdated, each with ``outdated`` saying why: one
    query, plus the live configuration's for a generated procedure."""
    rows = []
    for document in selectors.documents_with_state().filter(approved_number__isnull=False):
        reason = selectors.outdated_reason(document)
        if reason:
            document.outdated = reason
            rows.append(document)
    return sorted(rows, key=lambda d: d.reference)[:PANEL_ROWS]


def panel_context(user) -> dict:
    """Four queries and the live configuration's: the methodology in force, the two lists of
    risks (their first rows) and the documents out of date."""
    method = selectors.methodology_in_force().method
    visible = selectors.risks_visible_to(user)
    past_review = visible.filter(
        status__in=OPEN_RISK_STATUSES, next_review_date__lt=timezone.localdate()
    ).order_by("next_review_date", "reference")[:PANEL_ROWS]
    awaiting = visible.filter(
        status=RiskStatus.TREATED, residual_score__gt=method.acceptance_threshold
    ).order_by("-residual_score", "reference")[:PANEL_ROWS]
    return {
        "past_review": list(past_review),
        "awaiting_acceptance": [
            r for r in awaiting if rules.needs_acceptance(r.residual_score, method)
        ],
        "threshold": method.acceptance_threshold,
        "outdated_documents": outdated_documents(),
    }
