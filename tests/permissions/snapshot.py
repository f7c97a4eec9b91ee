"""What a refused write must leave unchanged: every row count, and the latest change of each
audited table (``updated_at``), so an edit in place is seen as well as a new row."""

from django.db import connection

from aims.notify.models import Notification
from capa.models import (
    ActionEvidence,
    CapaIncidentLink,
    CorrectiveAction,
    EffectivenessCheck,
    Finding,
    NoCapaDecision,
    RemediationItem,
    RemediationPlan,
    RootCause,
    ScopeConfirmation,
)
from disclosure.models import (
    AffectedIndividual,
    Communication,
    DisclosureAssessment,
    IncidentFacts,
    IndividualsExport,
    IndividualsUpload,
    Obligation,
    RegimeRule,
    Submission,
    SystemFacts,
    VendorNotice,
)
from incidents.models import (
    AffectedSystem,
    AlertLink,
    Approval,
    ContainmentDecision,
    Evidence,
    Incident,
    Participant,
    ProtectedReport,
    ProtectedReportMessage,
    TimelineEntry,
)
from inventory.models import AISystem, Deployment, ModelVersion, MonitoringRule
from reporting.models import ReportRun
from risk.models import (
    ApplicabilityStatement,
    EvidenceLink,
    Risk,
    RiskAcceptance,
    RiskEntry,
    RiskMethodology,
)

STAMPED = (
    Incident,
    AffectedSystem,
    Participant,
    Evidence,
    Approval,
    ContainmentDecision,
    AlertLink,
    ProtectedReport,
    AISystem,
    ModelVersion,
    Deployment,
    MonitoringRule,
    CorrectiveAction,
    CapaIncidentLink,
    EffectivenessCheck,
    ActionEvidence,
    Finding,
    NoCapaDecision,
    RegimeRule,
    IncidentFacts,
    SystemFacts,
    DisclosureAssessment,
    Obligation,
    Submission,
    Communication,
    VendorNotice,
    IndividualsUpload,
    AffectedIndividual,
    IndividualsExport,
    Risk,
    RiskMethodology,
    ApplicabilityStatement,
    EvidenceLink,
    RiskAcceptance,
    # the learning loop
    RootCause,
    ScopeConfirmation,
    RemediationPlan,
    RemediationItem,
)
COUNTED = (TimelineEntry, ProtectedReportMessage, ReportRun, Notification, RiskEntry)


def _sql() -> str:
    parts = [
        f"(SELECT count(*) || ' ' || coalesce(max(updated_at)::text, '') FROM \"{m._meta.db_table}\")"
        for m in STAMPED
    ]
    parts += [f'(SELECT count(*)::text FROM "{m._meta.db_table}")' for m in COUNTED]
    return "SELECT " + ", ".join(parts)


SQL = _sql()


def snapshot(world=None) -> tuple:
    """One query: the tables' counts and latest changes, in the order of STAMPED + COUNTED."""
    with connection.cursor() as cursor:
        cursor.execute(SQL)
        row = cursor.fetchone()
    return tuple(zip((m.__name__ for m in (*STAMPED, *COUNTED)), row, strict=True))
