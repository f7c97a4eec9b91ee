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
