"""Who may do what in the disclosure module (DESIGN section 6), each rule written once."""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import Role
from aims.core.permissions import Decision, decide, has_any_role, has_role
from inventory import permissions as inventory_permissions

RULE_EDITORS = (Role.LEGAL, Role.GRC)
# Who confirms obligations, records facts and submissions: the people who own the disclosure.
DISCLOSURE_ROLES = (Role.LEGAL, Role.DPO, Role.GRC, Role.RISK_OFFICER)


def can_read_regimes(user) -> Decision:
    return decide(
        has_any_role(user),
        _("Your account has no role in AIMS Register; ask GRC staff to assign one."),
    )


def can_evaluate(user) -> Decision:
    """The what-if evaluation stores nothing: every role may run a tabletop exercise."""
    return can_read_regimes(user)


def can_edit_regimes(user) -> Decision:
    return decide(
        has_role(user, *RULE_EDITORS), _("Only legal and GRC staff change the regulatory rules.")
    )


def can_assess(user, incident=None) -> Decision:
    """Record disclosure facts and confirm obligations."""
    return decide(
        has_role(user, *DISCLOSURE_ROLES),
        _("Only legal, the DPO, GRC staff and the AI risk officer assess disclosure."),
    )


def can_edit_system_facts(user, system) -> Decision:
    """A system's disclosure facts (GPAI with systemic risk, medical device, CER critical
    entity, frontier developer, China CII operator) belong to its regulatory classification:
    whoever edits the system's regulatory flags in the inventory edits them, in the same words."""
    return inventory_permissions.can_change_system(user, system)


def can_sign_off(user, assessment=None) -> Decision:
    return decide(has_role(user, Role.LEGAL), _("Only legal signs off a disclosure assessment."))


def can_submit(user, obligation=None) -> Decision:
    return decide(
        has_role(user, *DISCLOSURE_ROLES),
        _("Only legal, the DPO, GRC staff and the AI risk officer record submissions."),
    )


def can_communicate(user, incident=None) -> Decision:
    """Draft and send communications about an incident."""
    return decide(
        has_role(user, *DISCLOSURE_ROLES),
        _("Only legal, the DPO, GRC staff and the AI risk officer draft and send communications."),
    )


def can_approve_communication(user, communication) -> Decision:
    """The role the communication plan names approves — never the person who drafted it."""
    if communication.drafted_by_id == getattr(user, "pk", None):
        return decide(False, _("Someone other than the drafter approves a communication."))
    role = communication.approver_role or Role.LEGAL
    return decide(
        has_role(user, role),
        _("The communication plan has %(role)s approve this communication.") % {"role": role},
    )


# Who sees and handles the list of the people an incident affects (their names and addresses).
INDIVIDUALS_ROLES = (Role.LEGAL, Role.DPO)


def can_handle_individuals(user, incident=None) -> Decision:
    """Upload, read, update and export the list of affected individuals: legal and the DPO
    only — the list is personal data of people outside the organisation (GDPR Art. 5(1)(f))."""
    return decide(
        has_role(user, *INDIVIDUALS_ROLES),
        _("Only legal and the DPO see and handle the list of affected individuals."),
    )
