"""Who may do what with CAPAs and audit findings (DESIGN section 6), each rule written once.

GRC staff and the AI risk officer create CAPAs and findings and approve (verify) them; a CAPA's
owner and implementer move their own CAPA and add its evidence; the verifier of an
effectiveness check is never the CAPA's owner or implementer; auditors and the other reading
roles read everything and change nothing.
"""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import MANAGERS, Role
from aims.core.permissions import Decision, decide, has_any_role, has_role, is_signed_in

NO_ROLE = _("Your account has no role in AIMS Register; ask GRC staff to assign one.")


def is_manager(user) -> bool:
    return has_role(user, *MANAGERS)


def works_on(user, capa) -> bool:
    return is_signed_in(user) and capa.is_owner_or_implementer(user)


def can_read(user) -> Decision:
    return decide(has_any_role(user), NO_ROLE)


def can_create_capa(user) -> Decision:
    return decide(is_manager(user), _("Only GRC staff and the AI risk officer raise CAPAs."))


def can_edit_capa(user, capa) -> Decision:
    return decide(
        is_manager(user) or works_on(user, capa),
        _("Only the CAPA's owner, its implementer, GRC staff and the AI risk officer edit it."),
    )


def can_work_on_capa(user, capa) -> Decision:
    """Start and implement the CAPA, send it back for rework."""
    return decide(
        is_manager(user) or works_on(user, capa),
        _("Only the CAPA's owner, its implementer, GRC staff and the AI risk officer move it."),
    )


def can_add_capa_evidence(user, capa) -> Decision:
    return decide(
        is_manager(user) or works_on(user, capa),
        _(
            "Only the CAPA's owner, its implementer, GRC staff and the AI risk officer add evidence."
        ),
    )


def can_plan_check(user, capa) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer plan an effectiveness check."),
    )


def can_verify(user, capa) -> Decision:
    """Record the effectiveness check's result and the verdict: an approver who neither owns
    nor implements the CAPA (ISO/IEC 42001 10.2: the effect is checked independently)."""
    if works_on(user, capa):
        return decide(
            False,
            _(
                "The CAPA's owner and implementer cannot verify its effectiveness: someone else must."
            ),
        )
    return decide(
        is_manager(user), _("Only GRC staff and the AI risk officer verify a CAPA's effectiveness.")
    )


def can_cancel_capa(user, capa) -> Decision:
    return decide(is_manager(user), _("Only GRC staff and the AI risk officer cancel a CAPA."))


def can_manage_findings(user, finding=None) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer record and close audit findings."),
    )


def can_decide_no_capa(user, incident) -> Decision:
    """Record that an incident needs no CAPA: GRC, the AI risk officer or the incident lead."""
    lead = is_signed_in(user) and incident.lead_id == user.pk
    return decide(
        is_manager(user) or lead,
        _(
            "Only GRC staff, the AI risk officer and the incident lead decide that no CAPA is needed."
        ),
    )


def reads_all_capas(user) -> bool:
    from aims.accounts.choices import READ_ALL

    return has_role(user, *READ_ALL)


__all__ = ["Role"]
