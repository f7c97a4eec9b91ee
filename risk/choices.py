"""The risk module's enumerations: methodology status, bands, treatments, risk status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MethodologyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")


class Treatment(models.TextChoices):
    MITIGATE = "mitigate", _("Mitigate")
    TRANSFER = "transfer", _("Transfer")
    AVOID = "avoid", _("Avoid")
    ACCEPT = "accept", _("Accept")


class RiskStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ASSESSED = "assessed", _("Assessed")
    TREATED = "treated", _("Treated")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")


OPEN_RISK_STATUSES = (
    RiskStatus.DRAFT,
    RiskStatus.ASSESSED,
    RiskStatus.TREATED,
    RiskStatus.ACCEPTED,
)


class RiskCategory(models.TextChoices):
    """The organization's own broad categories; the NIST taxonomies are tags (``RiskTag`` rows)."""

    FAIRNESS = "fairness", _("Fairness and bias")
    SAFETY = "safety", _("Safety")
    SECURITY = "security", _("Security")
    PRIVACY = "privacy", _("Privacy and data protection")
    PERFORMANCE = "performance", _("Performance and robustness")
    TRANSPARENCY = "transparency", _("Transparency and explainability")
    ACCOUNTABILITY = "accountability", _("Accountability and human oversight")
    THIRD_PARTY = "third_party", _("Third party and supply chain")
    COMPLIANCE = "compliance", _("Legal and regulatory compliance")
    OTHER = "other", _("Other")


class TagScheme(models.TextChoices):
    NIST_AI_600_1 = "nist_ai_600_1", _("NIST AI 600-1 generative AI risk")
    NIST_AI_RMF = "nist_ai_rmf", _("NIST AI RMF function")


class Applicability(models.TextChoices):
    UNDECIDED = "undecided", _("Not yet decided")
    APPLICABLE = "applicable", _("Applicable")
    EXCLUDED = "excluded", _("Excluded")


class ImplementationStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PLANNED = "planned", _("Planned")
    PARTIAL = "partial", _("Partially implemented")
    IMPLEMENTED = "implemented", _("Implemented")


class RiskEntryKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    STATUS = "status", _("Status changed")
    RATED = "rated", _("Rating changed")
    ACCEPTED = "accepted", _("Residual risk accepted")
    REVIEWED = "reviewed", _("Reviewed")
    CONTROLS = "controls", _("Controls changed")
    REMINDER = "reminder", _("Review reminder")
    INCIDENT = "incident", _("Incident")


class IncidentLinkKind(models.TextChoices):
    MATERIALISED = "materialised", _("Risk materialised")
    RERATED = "rerated", _("Risk re-rated")
    RAISED = "raised", _("Risk raised from the incident")


class RiskClockKind(models.TextChoices):
    REVIEW = "risk_review", _("Risk review")


# --- AI system impact assessments (ISO/IEC 42001 A.5.2-A.5.5, clauses 6.1.4, 8.4) ------------


class ImpactTrigger(models.TextChoices):
    INITIAL = "initial", _("First assessment")
    PLANNED = "planned", _("Planned interval")
    CHANGE = "change", _("Significant change")
    INCIDENT = "incident", _("Incident")


class ImpactResult(models.TextChoices):
    ACCEPTABLE = "acceptable", _("Acceptable")
    CONDITIONS = "conditions", _("Acceptable with conditions")
    NOT_ACCEPTABLE = "not_acceptable", _("Not acceptable")


class ImpactStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class ImpactClockKind(models.TextChoices):
    DUE = "impact_assessment_due", _("Impact assessment due")
    REVIEW = "impact_review_due", _("Impact assessment review due")


# --- the risk register reviewed at an incident's closure ---------------------------------------


class RiskReviewOutcome(models.TextChoices):
    CHANGED = "changed", _("Risks changed (linked to the incident)")
    NO_CHANGE = "no_change", _("No change to the register")


# --- documented information and retention (ISO/IEC 42001 clause 7.5) --------------------------


class DocumentKind(models.TextChoices):
    AIMS_SCOPE = "aims_scope", _("AIMS scope")
    AI_POLICY = "ai_policy", _("AI policy")
    INCIDENT_PROCEDURE = "incident_procedure", _("AI incident-management procedure")
    COMMUNICATION_PLAN = "communication_plan", _("Communication plan")
    RETENTION_SCHEDULE = "retention_schedule", _("Retention schedule")
    OTHER_PROCEDURE = "other_procedure", _("Other procedure")


class DocumentVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class RetentionRecordType(models.TextChoices):
    EVIDENCE_PERSONAL = "evidence_personal", _("Evidence with personal data")
    EVIDENCE_OTHER = "evidence_other", _("Other evidence")
    INCIDENT_RECORD = "incident_record", _("Incident records")
    CUSTODY = "custody", _("Notifications and chain of custody")


class DocumentClockKind(models.TextChoices):
    REVIEW = "document_review", _("Document review")
