"""The AI incident-management procedure as a PDF, generated from the live configuration, so
the document always says what the tool enforces.

``risk.procedure.configuration`` reads the severity definitions, the clock policies (due time,
reminder, escalation chain), the roles and what each may do, the detection sources, the
reporting channels (the protected one with its address) and the document's links to the
security, privacy and continuity processes. The builder lays that configuration out and records
the PDF as a new draft version of the procedure document, with the configuration and its
fingerprint (``risk.services.procedure_version_generated``): approving it is the risk module's
business, and when the live configuration's fingerprint no longer matches, the approved version
shows as outdated.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aims.core.exceptions import PermissionRefused, ValidationFailed
from risk import permissions as risk_permissions
from risk import procedure
from risk import services as risk_services
from risk.models import Document

from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

TEMPLATE = "reporting/procedure.html"
STYLESHEET = "report-draft.css"
TIME_LIMIT_S = 60


def procedure_document(user, document_id) -> Document:
    """The procedure document, if ``user`` may write documented information."""
    if not risk_permissions.can_edit_documents(user):
        raise PermissionRefused(risk_permissions.can_edit_documents(user).message)
    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        raise ValidationFailed(_("No such document."), fields={"document": ["not found"]})
    if not document.generated:
        raise ValidationFailed(
            _("Only the AI incident-management procedure is generated from the configuration."),
            fields={"document": ["not the incident procedure"]},
        )
    return document


def _minutes(value: int) -> str:
    if value and value % (24 * 60) == 0:
        return ngettext("%d day", "%d days", value // (24 * 60)) % (value // (24 * 60))
    if value and value % 60 == 0:
        return ngettext("%d hour", "%d hours", value // 60) % (value // 60)
    return ngettext("%d minute", "%d minutes", value) % value


def render_procedure(*, document, config: dict, fingerprint: str, number=None) -> bytes:
    policies = [
        {
            **p,
            "remind": _minutes(p["remind_before_minutes"]),
            "chain": [
                {"roles": ", ".join(s["roles"]), "after": _minutes(s["delay_minutes"])}
                for s in p["escalation"]
            ],
        }
        for p in config["clock_policies"]
    ]
    context = {
        "document": document,
        "config": config,
        "policies": policies,
        "fingerprint": fingerprint,
        "number": number,
        "generated_at": timezone.now(),
    }
    return render_pdf(render_to_string(TEMPLATE, context), stylesheet=STYLESHEET).content


@builder(ReportKind.INCIDENT_PROCEDURE_PDF, soft_time_limit=TIME_LIMIT_S)
def build_procedure(run, progress) -> BuiltFile:
    """Builder of ``INCIDENT_PROCEDURE_PDF`` runs: ``params = {"document": pk}``. The
    configuration is read when the worker builds it; the PDF becomes a draft version."""
    progress(0, 2)
    document = procedure_document(run.requested_by, run.params.get("document"))
    config = procedure.configuration(document)
    fingerprint = procedure.fingerprint(config)
    number = (
        document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    pdf = render_procedure(document=document, config=config, fingerprint=fingerprint, number=number)
    progress(1, 2)
    risk_services.procedure_version_generated(
        actor=run.requested_by, document=document, pdf=pdf, configuration=config
    )
    progress(2, 2)
    return BuiltFile(
        content=pdf, file_name=f"{document.reference}-v{number}.pdf", media_type="application/pdf"
    )
