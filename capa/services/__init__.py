"""Every write of the learning loop, one function per business action, by subject:
``investigation`` (root cause, scope, remediation plan, recurrence) and ``actions`` (CAPA records,
effectiveness checks, closure evidence, findings, the no-CAPA decision)."""

from .actions import (
    capa_create,
    capa_evidence_add,
    capa_evidence_open,
    capa_link_incident,
    capa_transition,
    capa_update,
    effectiveness_check_plan,
    effectiveness_check_record,
    finding_create,
    finding_transition,
    finding_update,
    no_capa_decide,
)
from .investigation import (
    diagnostic_add,
    evidence_link,
    fix_verify,
    normal_operation_restore,
    remediation_item_add,
    remediation_item_done,
    reprocessing_update,
    root_cause_confirm,
    root_cause_propose,
    root_cause_rule_out,
    root_cause_update,
    scope_record,
    why_add,
)
from .post_incident import (
    review_approve,
    review_raise_capa,
    review_return,
    review_submit,
    review_transition,
    review_update,
)

__all__ = [
    "capa_create",
    "capa_evidence_add",
    "capa_evidence_open",
    "capa_link_incident",
    "capa_transition",
    "capa_update",
    "diagnostic_add",
    "effectiveness_check_plan",
    "effectiveness_check_record",
    "evidence_link",
    "finding_create",
    "finding_transition",
    "finding_update",
    "fix_verify",
    "no_capa_decide",
    "normal_operation_restore",
    "remediation_item_add",
    "remediation_item_done",
    "reprocessing_update",
    "review_approve",
    "review_raise_capa",
    "review_return",
    "review_submit",
    "review_transition",
    "review_update",
    "root_cause_confirm",
    "root_cause_propose",
    "root_cause_rule_out",
    "root_cause_update",
    "scope_record",
    "why_add",
]

from .management_review import (  # noqa: E402
    management_review_action_add,
    management_review_create,
    management_review_transition,
    management_review_update,
)

__all__ += [
    "management_review_action_add",
    "management_review_create",
    "management_review_transition",
    "management_review_update",
]
