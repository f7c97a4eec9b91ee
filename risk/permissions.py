"""Who may do what in the risk module (DESIGN section 6), each rule written once.

The AI risk officer owns the methodology and the acceptance of residual risk; GRC staff and the
AI risk officer keep the register and the Statement of Applicability; auditors and the other
oversight roles read everything and change nothing; engineers see the risks of the AI systems
they own. Ethics (protected channel) has no part in the register.
"""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import READ_ALL, Role
from aims.core.permissions import Decision, decide, has_role

from . import rules

REGISTER_EDITORS = (Role.GRC, Role.RISK_OFFICER)
READERS = (*READ_ALL,)
NO_ACCESS = _(
    "The risk register is open to GRC staff, the AI risk officer, the oversight roles, "
    "auditors, and engineers for the risks of their AI systems; your role is none of these."
)


def can_read_register(user) -> Decision:
    """The register page and list. Which risks each person sees is one rule, in
    ``selectors.risks_visible_to`` (engineers: the risks of their systems and their own)."""
    return decide(has_role(user, *READERS, Role.ENGINEER), NO_ACCESS)


def can_edit_register(user, risk=None) -> Decision:
    """Raise, rate, treat, review and close risks."""
    return decide(
        has_role(user, *REGISTER_EDITORS),
        _("Only GRC staff and the AI risk officer change the risk register."),
    )


def can_link_incident(user, incident=None) -> Decision:
    """Link a risk to an incident, re-rate it or raise one from it: the register's editors."""
    return decide(
        has_role(user, *REGISTER_EDITORS),
        _("Only GRC staff and the AI risk officer change the risk register from an incident."),
    )


def can_move_risk(user, risk=None) -> Decision:
    return can_edit_register(user, risk)


def can_export_register(user) -> Decision:
    """The register as CSV or XLSX: the oversight roles and auditors (each file holds only the
    risks its requester may see)."""
    return decide(
        has_role(user, *READERS),
        _(
            "Exports of the risk register are for GRC staff, the AI risk officer, the oversight "
            "roles and auditors."
        ),
    )


def can_read_methodology(user) -> Decision:
    """The methodology in force is documented information everyone with a role may read."""
    return decide(has_role(user, *READERS, Role.ENGINEER), NO_ACCESS)


def can_draft_methodology(user) -> Decision:
    return decide(
        has_role(user, Role.RISK_OFFICER),
        _("Only the AI risk officer drafts a new version of the risk methodology."),
    )


def can_approve_methodology(user, methodology=None) -> Decision:
    return decide(
        has_role(user, Role.RISK_OFFICER),
        _("Only the AI risk officer approves the risk methodology."),
    )


def can_accept(user, risk) -> Decision:
    """Accept the residual risk: the roles the methodology in force names for its band.

    The band is read from the risk's residual score under the methodology version in force; a
    risk without a residual rating cannot be accepted yet (the service says so).
    """
    from .selectors import methodology_in_force

    method = methodology_in_force().method
    if risk.residual_score is None:
        return decide(
            has_role(user, Role.RISK_OFFICER), _("Only the AI risk officer accepts risk.")
        )
    roles = rules.acceptance_roles(risk.residual_score, method)
    band = rules.band_for(risk.residual_score, method.bands)
    allowed = bool(roles) and has_role(user, *roles)
    names = ", ".join(str(Role(r).label) if r in Role.values else r for r in roles) or _("nobody")
    return decide(
        allowed,
        _(
            "A residual risk in the %(band)s band (score %(score)s) may be accepted only by: "
            "%(roles)s (methodology version %(version)s)."
        )
        % {
            "band": band.label if band else "?",
            "score": risk.residual_score,
            "roles": names,
            "version": method.version,
        },
    )


def can_read_soa(user) -> Decision:
    return decide(
        has_role(user, *READERS),
        _(
            "The Statement of Applicability and the evidence map are open to GRC staff, the "
            "AI risk officer, the oversight roles and auditors."
        ),
    )


def can_edit_soa(user, statement=None) -> Decision:
    return decide(
        has_role(user, *REGISTER_EDITORS),
        _("Only GRC staff and the AI risk officer change the Statement of Applicability."),
    )


def can_link_evidence(user, control=None) -> Decision:
    return decide(
        has_role(user, *REGISTER_EDITORS),
        _("Only GRC staff and the AI risk officer link evidence to Annex A controls."),
    )


# --- impact assessments and the incident's risk-register review --------------------------------


def can_read_impact(user) -> Decision:
    """Impact assessments: the register's readers, and engineers (for the AI systems they see)."""
    return decide(has_role(user, *READERS, Role.ENGINEER), NO_ACCESS)


def can_edit_impact(user, assessment=None) -> Decision:
    """Draft, edit and submit impact assessments: GRC staff and the AI risk officer."""
    return decide(
        has_role(user, *REGISTER_EDITORS),
        _("Only GRC staff and the AI risk officer write impact assessments."),
    )


def can_approve_impact(user, assessment=None) -> Decision:
    """Approve (or return) a submitted impact assessment: the AI risk officer who did not write
    it (the service refuses the author)."""
    return decide(
        has_role(user, Role.RISK_OFFICER),
        _("Only the AI risk officer approves impact assessments."),
    )


def can_review_incident_risks(user, incident=None) -> Decision:
    """Record that the risk register was reviewed for an incident: the register's editors and
    the incident lead."""
    lead = incident is not None and getattr(user, "pk", None) == incident.lead_id
    return decide(
        has_role(user, *REGISTER_EDITORS) or lead,
        _(
            "Only GRC staff, the AI risk officer and the incident lead record the review of "
            "the risk register for an incident."
        ),
    )


def can_read_trail(user) -> Decision:
    """A system's evidence trail and the consistency check: the read-all roles for every
    system, engineers for the systems they own (``trail.trail_systems_visible_to``)."""
    return decide(
        has_role(user, *READERS, Role.ENGINEER),
        _(
            "Evidence trails and the consistency check are open to GRC staff, the AI risk "
            "officer, the oversight roles, auditors, and engineers for their own AI systems."
        ),
    )


# --- documented information and retention -----------------------------------------------------

DOCUMENT_EDITORS = (Role.GRC, Role.RISK_OFFICER)
HOLD_ROLES = (Role.GRC, Role.LEGAL)


def can_read_documents(user) -> Decision:
    """The register of documented information: everyone with a role reads the AIMS's documents
    (the policy and the procedures are for all staff to follow)."""
    return decide(
        has_role(user, *READERS, Role.ENGINEER, Role.ETHICS),
        _("The documented information is open to every role; your account has none."),
    )


def can_edit_documents(user, document=None) -> Decision:
    """Register a document, draft or upload a version, generate the procedure."""
    return decide(
        has_role(user, *DOCUMENT_EDITORS),
        _("Only GRC staff and the AI risk officer write documented information."),
    )


def can_approve_document(user, version=None) -> Decision:
    return decide(
        has_role(user, *DOCUMENT_EDITORS),
        _("Only the AI risk officer or GRC staff approve documented information."),
    )


def can_read_retention(user) -> Decision:
    return decide(
        has_role(user, *READERS),
        _(
            "The retention schedule, legal holds and purge records are open to GRC staff, the AI "
            "risk officer, the oversight roles and auditors."
        ),
    )


def can_edit_retention(user, rule=None) -> Decision:
    return decide(
        has_role(user, Role.GRC),
        _("Only GRC staff change the retention schedule."),
    )


def can_hold(user, incident=None) -> Decision:
    """Place or release a legal hold on an incident."""
    return decide(
        has_role(user, *HOLD_ROLES),
        _("Only GRC staff and legal place or release a legal hold."),
    )
