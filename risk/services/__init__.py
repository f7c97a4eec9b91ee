"""The risk app's writes, by subject; every caller imports them from here."""

from .controls import SOA_FIELDS, evidence_link, evidence_unlink, statement_update
from .documents import (
    DOCUMENT_FIELDS,
    document_create,
    document_update,
    procedure_version_generated,
    version_approve,
    version_draft,
    version_mark_outdated,
)
from .impact import (
    impact_create,
    impact_mark_due,
    impact_transition,
    impact_update,
    incident_risk_review_record,
)
from .methodology import (
    METHODOLOGY_FIELDS,
    methodology_approve,
    methodology_draft,
    methodology_update,
)
from .register import (
    EDITABLE_FIELDS,
    RATING_FIELDS,
    RATING_LOCKED,
    TEXT_FIELDS,
    rating_values,
    risk_accept,
    risk_create,
    risk_review,
    risk_transition,
    risk_update,
)
from .retention import (
    legal_hold_place,
    legal_hold_release,
    purge_candidates,
    retention_purge,
    retention_rule_update,
)

__all__ = [
    "impact_create",
    "impact_mark_due",
    "impact_transition",
    "impact_update",
    "incident_risk_review_record",
    "DOCUMENT_FIELDS",
    "document_create",
    "document_update",
    "legal_hold_place",
    "legal_hold_release",
    "procedure_version_generated",
    "purge_candidates",
    "retention_purge",
    "retention_rule_update",
    "version_approve",
    "version_draft",
    "version_mark_outdated",
    "EDITABLE_FIELDS",
    "METHODOLOGY_FIELDS",
    "RATING_FIELDS",
    "RATING_LOCKED",
    "SOA_FIELDS",
    "TEXT_FIELDS",
    "evidence_link",
    "evidence_unlink",
    "methodology_approve",
    "methodology_draft",
    "methodology_update",
    "rating_values",
    "risk_accept",
    "risk_create",
    "risk_review",
    "risk_transition",
    "risk_update",
    "statement_update",
]
