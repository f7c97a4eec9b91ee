"""Choice sets of the learning loop (root causes, CAPA, findings, reviews)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RootCauseCategory(models.TextChoices):
    """The playbook's root-cause categories; each has its diagnostic and its long-term fixes."""

    VENDOR_MODEL_CHANGE = "vendor_model_change", _("Model behaviour change (vendor)")
    INTERNAL_RETRAINING = "internal_retraining", _("Model behaviour change (internal retraining)")
    DISTRIBUTION_SHIFT = "distribution_shift", _("Data distribution shift")
    INTEGRATION_BUG = "integration_bug", _("Prompt or integration bug")
    OVERSIGHT_FAILURE = "oversight_failure", _("Human oversight failure")
    OTHER = "other", _("Other")


class ActionType(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")


class ActionSource(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    AUDIT_FINDING = "audit_finding", _("Audit finding")
    MANAGEMENT_REVIEW = "management_review", _("Management review")
    RISK_TREATMENT = "risk_treatment", _("Risk treatment")
    STAKEHOLDER_FEEDBACK = "stakeholder_feedback", _("Stakeholder feedback")


class Horizon(models.TextChoices):
    """The playbook's remediation horizons (default due dates come from policy data)."""

    IMMEDIATE = "immediate", _("Immediate (day 1–2)")
    SHORT_TERM = "short_term", _("Short-term (days 3–30)")
    LONG_TERM = "long_term", _("Long-term (30+ days)")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    VERIFIED_EFFECTIVE = "verified_effective", _("Verified effective")
    INEFFECTIVE = "ineffective", _("Ineffective")
    CANCELLED = "cancelled", _("Cancelled")


class AuditKind(models.TextChoices):
    INTERNAL = "internal", _("Internal audit")
    CERTIFICATION_STAGE_1 = "certification_stage_1", _("Certification audit, stage 1")
    CERTIFICATION_STAGE_2 = "certification_stage_2", _("Certification audit, stage 2")
    SURVEILLANCE = "surveillance", _("Surveillance audit")
    SUPPLIER = "supplier", _("Supplier audit")


class FindingClassification(models.TextChoices):
    MAJOR = "major", _("Major nonconformity")
    MINOR = "minor", _("Minor nonconformity")
    OBSERVATION = "observation", _("Observation")
    OPPORTUNITY = "opportunity", _("Opportunity for improvement")


# --- root causes, scope, remediation (the investigation of one incident) ---------------------


class RootCauseStatus(models.TextChoices):
    """A candidate is considered, then confirmed (at most one per incident) or ruled out."""

    CONSIDERED = "considered", _("Considered")
    CONFIRMED = "confirmed", _("Confirmed")
    RULED_OUT = "ruled_out", _("Ruled out")


class DiagnosticMethod(models.TextChoices):
    """The playbook's diagnostic for each category (``DIAGNOSTIC_FOR`` pairs them)."""

    EVAL_BEFORE_AFTER = "eval_before_after", _("Evaluation set run before and after the change")
    INPUT_DISTRIBUTION = "input_distribution", _("Input distribution compared to training data")
    FAILING_CASE_TRACE = "failing_case_trace", _("One failing case traced through the integration")
    REVIEWER_OVERRIDES = (
        "reviewer_overrides",
        _("Reviewer override rate and time-to-decision for the period"),
    )
    OTHER = "other", _("Other diagnostic")


# The diagnostic the playbook names for each category (offered first on the forms).
DIAGNOSTIC_FOR = {
    RootCauseCategory.VENDOR_MODEL_CHANGE: DiagnosticMethod.EVAL_BEFORE_AFTER,
    RootCauseCategory.INTERNAL_RETRAINING: DiagnosticMethod.EVAL_BEFORE_AFTER,
    RootCauseCategory.DISTRIBUTION_SHIFT: DiagnosticMethod.INPUT_DISTRIBUTION,
    RootCauseCategory.INTEGRATION_BUG: DiagnosticMethod.FAILING_CASE_TRACE,
    RootCauseCategory.OVERSIGHT_FAILURE: DiagnosticMethod.REVIEWER_OVERRIDES,
    RootCauseCategory.OTHER: DiagnosticMethod.OTHER,
}


class DiagnosticOutcome(models.TextChoices):
    SUPPORTS = "supports", _("Supports this cause")
    REFUTES = "refutes", _("Rules this cause out")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")


class ScopeStatus(models.TextChoices):
    """A best estimate (with its uncertainty) until the count is confirmed by hand-checking."""

    ESTIMATE = "estimate", _("Best estimate")
    CONFIRMED = "confirmed", _("Confirmed")


class RemediationKind(models.TextChoices):
    ROLLBACK = "rollback", _("Rollback")
    SUSPENSION = "suspension", _("Suspension of the use case")
    REPROCESS = "reprocess", _("Re-process affected cases")
    NOTIFY_INDIVIDUALS = "notify_individuals", _("Notify affected individuals")
    MONITORING = "monitoring", _("Monitoring for the failure pattern")
    LONG_TERM_FIX = "long_term_fix", _("Long-term fix")
    OTHER = "other", _("Other")


# --- CAPA records and audit findings ---------------------------------------------------------


class CheckResult(models.TextChoices):
    """The outcome of an effectiveness check: pending until the verifier records pass or fail."""

    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_TREATMENT = "in_treatment", _("In treatment")
    CLOSED = "closed", _("Closed")


class CapaClockKind(models.TextChoices):
    """Clocks of a CAPA: its due date per horizon (policy as data) and its effectiveness check."""

    DUE_IMMEDIATE = "capa_due_immediate", _("CAPA due (immediate)")
    DUE_SHORT_TERM = "capa_due_short_term", _("CAPA due (short-term)")
    DUE_LONG_TERM = "capa_due_long_term", _("CAPA due (long-term)")
    EFFECTIVENESS_CHECK = "capa_effectiveness", _("CAPA effectiveness check")


DUE_KIND = {
    Horizon.IMMEDIATE: CapaClockKind.DUE_IMMEDIATE,
    Horizon.SHORT_TERM: CapaClockKind.DUE_SHORT_TERM,
    Horizon.LONG_TERM: CapaClockKind.DUE_LONG_TERM,
}
OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED)
NONCONFORMITIES = (FindingClassification.MAJOR, FindingClassification.MINOR)


# --- management review (ISO/IEC 42001 clause 9.3) ------------------------------------------


class ManagementReviewStatus(models.TextChoices):
    """A review is prepared as a draft, recorded once held (its inputs frozen), then approved."""

    DRAFT = "draft", _("Draft")
    RECORDED = "recorded", _("Held and recorded")
    APPROVED = "approved", _("Approved")


# --- post-incident review ----------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    """A post-incident review is drafted, submitted, then approved by the AI risk officer or
    returned for changes (and submitted again)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for approval")
    RETURNED = "returned", _("Returned for changes")
    APPROVED = "approved", _("Approved")


class ProcessFollowed(models.TextChoices):
    """Whether the incident process was followed (the review says why where it was not)."""

    YES = "yes", _("Followed")
    PARTLY = "partly", _("Partly followed")
    NO = "no", _("Not followed")


class ReviewUpdateKind(models.TextChoices):
    """What a CAPA raised from a review changes: a process or a policy."""

    PROCESS = "process", _("Process update")
    POLICY = "policy", _("Policy update")


EDITABLE_REVIEW_STATUSES = (ReviewStatus.DRAFT, ReviewStatus.RETURNED)
# Root-cause categories that reveal a limitation of the model (its card should say so).
LIMITATION_CATEGORIES = (
    RootCauseCategory.VENDOR_MODEL_CHANGE,
    RootCauseCategory.INTERNAL_RETRAINING,
    RootCauseCategory.DISTRIBUTION_SHIFT,
)
