"""Choice sets of the incident register (DESIGN sections 2 and 3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """``exercise``: a tabletop exercise or simulation run through the full workflow. It is
    marked EXERCISE wherever it appears, left out of every performance figure and counted as
    readiness evidence for the incident-management controls (``risk.readiness``).

    Disclosure: the rules propose no external (regulatory) obligation for an exercise
    (``disclosure.rules._external_exempt``); the internal ones (board, executives) are still
    proposed, so the exercise practises the internal escalation, and every clock and message
    about it carries the ``[EXERCISE]`` mark (``incidents.clocks``)."""

    INCIDENT = "incident", _("Incident")
    NEAR_MISS = "near_miss", _("Near miss")
    EXERCISE = "exercise", _("Exercise")


# Kinds that are real events: every metric, figure and regulatory obligation counts only these.
REAL_KINDS = frozenset({Kind.INCIDENT, Kind.NEAR_MISS})


class IncidentType(models.TextChoices):
    HARMFUL_OUTPUT = "harmful_output", _("Harmful or unexpected output")
    BIAS = "bias", _("Bias / fairness")
    SAFETY = "safety", _("Safety")
    PROMPT_INJECTION = "prompt_injection", _("Security — prompt injection")
    ADVERSARIAL_INPUT = "adversarial_input", _("Security — adversarial input")
    MODEL_THEFT = "model_theft", _("Security — model theft")
    PRIVACY = "privacy", _("Privacy / data leakage")
    GOVERNANCE = "governance", _("Governance breach (e.g. human oversight bypassed)")
    DRIFT = "drift", _("Model drift")
    PERFORMANCE = "performance", _("Performance degradation")
    UNAVAILABILITY = "unavailability", _("Unavailability")
    MISINFORMATION = "misinformation", _("Misinformation / hallucination")
    OTHER = "other", _("Other")


class FailureNature(models.TextChoices):
    WRONG_CLASSIFICATION = "wrong_classification", _("Wrong classification")
    WRONG_GENERATION = "wrong_generation", _("Wrong generation")
    MISSING_OUTPUT = "missing_output", _("Missing output")
    UNAVAILABLE = "unavailable", _("Unavailable")


class FailureScope(models.TextChoices):
    ALL_INPUTS = "all_inputs", _("All inputs")
    SUBSET = "subset", _("A subset of inputs")


class Severity(models.IntegerChoices):
    """Lower is more severe, so ordering by severity puts P0 first."""

    P0 = 0, _("P0 — critical")
    P1 = 1, _("P1 — high")
    P2 = 2, _("P2 — medium")
    P3 = 3, _("P3 — low")


class Status(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRIAGED = "triaged", _("Triaged")
    CONTAINED = "contained", _("Contained")
    INVESTIGATING = "investigating", _("Investigating")
    REMEDIATING = "remediating", _("Remediating")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = frozenset(
    {
        Status.REPORTED,
        Status.TRIAGED,
        Status.CONTAINED,
        Status.INVESTIGATING,
        Status.REMEDIATING,
        Status.RESOLVED,
    }
)


class DetectionSource(models.TextChoices):
    MONITORING = "monitoring", _("Automated monitoring alert")
    USER_REPORT = "user_report", _("User report")
    DOWNSTREAM_METRIC = "downstream_metric", _("Downstream metric anomaly")
    AUDIT_LOG = "audit_log", _("Audit-log anomaly")
    THIRD_PARTY = "third_party", _("Third-party report")
    EMPLOYEE = "employee", _("Employee report")
    PROTECTED_CHANNEL = "protected_channel", _("Protected reporting channel")


class HarmFlag(models.TextChoices):
    PHYSICAL_HARM = "physical_harm", _("Physical harm to a person")
    DEATH = "death", _("Death of a person")
    FUNDAMENTAL_RIGHTS = "fundamental_rights", _("Fundamental-rights infringement")
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", _("Critical-infrastructure disruption")
    PROPERTY_ENVIRONMENT = "property_environment", _("Property or environmental damage")
    PERSONAL_DATA_BREACH = "personal_data_breach", _("Personal-data breach")
    PHI = "phi", _("Protected health information involved")


class ParticipantPart(models.TextChoices):
    LEAD = "lead", _("Incident lead")
    SCRIBE = "scribe", _("Scribe")
    COMMUNICATIONS = "communications", _("Communications liaison")
    SUBJECT_EXPERT = "subject_expert", _("Subject expert")


class EvidenceKind(models.TextChoices):
    AUDIT_LOG = "audit_log", _("Audit-log export")
    SAMPLE_IO = "sample_io", _("Sample inputs / outputs")
    MODEL_CONFIG = "model_config", _("Model version and configuration")
    SCREENSHOT = "screenshot", _("Dashboard screenshot")
    MONITOR_REPORT = "monitor_report", _("Monitoring report (as received)")
    OTHER = "other", _("Other")


class CustodyAction(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    DOWNLOADED = "downloaded", _("Downloaded")
    BUNDLED = "bundled", _("Included in an export")
    INTEGRITY_FAILED = "integrity_failed", _("Integrity check failed")


class ContainmentOption(models.TextChoices):
    REROUTE = "reroute", _("A — reroute to a known-good version or fallback")
    PAUSE = "pause", _("B — pause the use case; human-only processing")
    NONE_NEEDED = "none_needed", _("No containment needed")


class ApprovalSubject(models.TextChoices):
    EVIDENCE_WAIVER = "evidence_waiver", _("Waiver: contain before evidence is preserved")
    CONTAINMENT = "containment", _("Containment decision")
    NO_NOTIFICATION = "no_notification", _("No notification required")
    CLOSURE = "closure", _("Closure")


class TimelineKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status change")
    SEVERITY = "severity", _("Severity change")
    DECISION = "decision", _("Decision")
    APPROVAL = "approval", _("Approval")
    EVIDENCE = "evidence", _("Evidence")
    NOTE = "note", _("Note")
    ALERT = "alert", _("Alert")
    NOTIFICATION = "notification", _("Notification")
    DELIVERY = "delivery", _("Reminder or escalation sent")
    PAGE = "page", _("Paging (PagerDuty, Opsgenie)")
    COMMUNICATION = "communication", _("Communication")
    UPDATE = "update", _("Record updated")
    SYSTEM = "system", _("Affected system")
    PARTICIPANT = "participant", _("Participant")
    REPORT = "report", _("Protected report")
    DETECTION = "detection", _("Detection threshold changed")
    REGISTRY = "registry", _("Model registry")


class ProtectedReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNDER_REVIEW = "under_review", _("Under review")
    CONVERTED = "converted", _("Being handled as an incident")
    CLOSED = "closed", _("Closed")


class AlertSource(models.TextChoices):
    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    GENERIC = "generic", _("Generic monitor")
    ALIBI_DETECT = "alibi_detect", _("Alibi Detect / Seldon detector")
    EVIDENTLY = "evidently", _("Evidently test suite or report")


class AlertState(models.TextChoices):
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")


class IncidentClockKind(models.TextChoices):
    """The deadlines an incident runs (DESIGN section 4), registered with ``aims.clocks``."""

    TRIAGE = "triage", _("Triage done")
    NOTIFY = "notify", _("Notification chain")
    INVESTIGATION = "investigation", _("Investigation")
    LEADERSHIP = "leadership", _("Leadership notice")
    POST_INCIDENT_REVIEW = "post_incident_review", _("Post-incident review")


class RegistryRollbackStatus(models.TextChoices):
    """requested → moved (the alias read back as the chosen version) or → failed (retry: back
    to requested)."""

    REQUESTED = "requested", _("Requested")
    MOVED = "moved", _("Moved and verified")
    FAILED = "failed", _("Failed")
