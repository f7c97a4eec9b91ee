"""The risk app's pages, by subject; ``risk/urls.py`` and the incident section import them here."""

from .controls import (
    control_detail,
    control_update,
    evidence_add,
    evidence_map,
    evidence_remove,
    soa,
)
from .documents import (
    document_create,
    document_detail,
    document_edit,
    document_list,
    legal_hold_place,
    legal_hold_release,
    retention,
    retention_rule_update,
    version_approve,
    version_create,
    version_file,
    version_outdated,
)
from .impact import (
    impact_create,
    impact_detail,
    impact_edit,
    impact_list,
    impact_transition,
    incident_risk_review,
)
from .incidents import (
    incident_risk_link,
    incident_risk_raise,
    incident_risk_rerate,
    incident_section,
)
from .methodology import (
    methodology_approve,
    methodology_detail,
    methodology_draft,
    methodology_list,
)
from .register import register, risk_create, risk_detail, risk_edit, risk_review, risk_transition
from .trail import consistency, system_trail

__all__ = [
    "consistency",
    "document_create",
    "document_detail",
    "document_edit",
    "document_list",
    "legal_hold_place",
    "legal_hold_release",
    "retention",
    "retention_rule_update",
    "version_approve",
    "version_create",
    "version_file",
    "version_outdated",
    "control_detail",
    "control_update",
    "evidence_add",
    "evidence_map",
    "evidence_remove",
    "impact_create",
    "impact_detail",
    "impact_edit",
    "impact_list",
    "impact_transition",
    "incident_risk_link",
    "incident_risk_review",
    "incident_risk_raise",
    "incident_risk_rerate",
    "incident_section",
    "methodology_approve",
    "methodology_detail",
    "methodology_draft",
    "methodology_list",
    "register",
    "risk_create",
    "risk_detail",
    "risk_edit",
    "risk_review",
    "risk_transition",
    "soa",
    "system_trail",
]
