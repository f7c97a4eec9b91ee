from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    CASE_FILE = "case_file", _("Case file (PDF)")
    REGISTER_CSV = "register_csv", _("Register export (CSV)")
    REGISTER_XLSX = "register_xlsx", _("Register export (XLSX)")
    REGISTER_PDF = "register_pdf", _("Register export (PDF)")
    AUDIT_SAMPLE = "audit_sample", _("Audit sample bundle (ZIP)")
    REVIEW_PACK = "review_pack", _("Management-review pack (PDF)")
    RISK_REGISTER_CSV = "risk_register_csv", _("Risk register export (CSV)")
    RISK_REGISTER_XLSX = "risk_register_xlsx", _("Risk register export (XLSX)")
    SOA_PDF = "soa_pdf", _("Statement of Applicability (PDF)")
    DISCLOSURE_DRAFT = "disclosure_draft", _("Regulatory report draft (PDF)")
    SYSTEM_TRAIL_PDF = "system_trail_pdf", _("Evidence trail of an AI system (PDF)")
    CAPA_REGISTER_CSV = "capa_register_csv", _("CAPA register export (CSV)")
    CAPA_REGISTER_XLSX = "capa_register_xlsx", _("CAPA register export (XLSX)")
    INCIDENT_PROCEDURE_PDF = "incident_procedure_pdf", _("Incident-management procedure (PDF)")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Runs a worker still owes: what the per-user cap counts and what an identical request joins.
ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
