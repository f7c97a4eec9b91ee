"""Who may generate and read which reports (DESIGN section 6: auditors create samples and exports)."""

from aims.accounts.choices import MANAGERS, Role
from capa import permissions as capa_permissions
from incidents.permissions import can_export_register
from risk import permissions as risk_permissions

from .choices import ReportKind


def can_request(user, kind: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    if kind == ReportKind.CASE_FILE:
        return (
            bool(user.role_names) or user.is_superuser
        )  # plus incident visibility, checked by the caller
    if kind in (ReportKind.REGISTER_CSV, ReportKind.REGISTER_XLSX, ReportKind.REGISTER_PDF):
        return can_export_register(user)
    if kind == ReportKind.DISCLOSURE_DRAFT:
        # Whoever sees the incident's communications (plus visibility, checked by the caller).
        return bool(user.role_names) or user.is_superuser
    if kind == ReportKind.AUDIT_SAMPLE:
        return user.has_role(Role.AUDITOR, *MANAGERS)
    if kind in (ReportKind.RISK_REGISTER_CSV, ReportKind.RISK_REGISTER_XLSX):
        return bool(risk_permissions.can_export_register(user))
    if kind == ReportKind.SYSTEM_TRAIL_PDF:
        return bool(risk_permissions.can_read_trail(user))  # plus the system, checked by the caller
    if kind in (ReportKind.CAPA_REGISTER_CSV, ReportKind.CAPA_REGISTER_XLSX):
        return bool(capa_permissions.can_export_capas(user))
    if kind == ReportKind.SOA_PDF:
        return bool(risk_permissions.can_read_soa(user))
    if kind == ReportKind.INCIDENT_PROCEDURE_PDF:
        return bool(risk_permissions.can_edit_documents(user))
    if kind == ReportKind.REVIEW_PACK:
        return user.has_role(
            *MANAGERS, Role.AUDITOR, Role.EXECUTIVE, Role.CISO, Role.DPO, Role.LEGAL
        )
    return False


def can_read_run(user, run) -> bool:
    """The requester, and GRC, read a run and its file."""
    return bool(
        user
        and user.is_authenticated
        and (run.requested_by_id == user.pk or user.has_role(Role.GRC))
    )


def can_see_incident(user, incident_id) -> bool:
    """A case file is only ever of an incident its requester can see (``incidents_visible_to``)."""
    from incidents.selectors import incidents_visible_to

    return incidents_visible_to(user).filter(pk=incident_id).exists()


def can_see_review(user):
    """The management-review figures and packs (clause 9.3): their one refusal sentence."""
    from django.utils.translation import gettext as _

    from aims.core.permissions import decide

    return decide(
        can_request(user, ReportKind.REVIEW_PACK),
        _(
            "Your role cannot read the management-review figures "
            "(GRC, the AI risk officer, auditors, executives, CISO, DPO and legal can)."
        ),
    )
