"""Who may do what with incidents (DESIGN section 6) — each action's rule, written once.

- grc, risk_officer, dpo, legal, ciso, executive, auditor read the whole register, except
  restricted incidents, which only their participants and grc see.
- engineers file incidents for any system and see those of systems they own, that they
  reported, or in which they take part; they add evidence and notes there.
- ethics sees incidents that came through the protected channel.
- only grc, the risk officer and the incident lead move the lifecycle and edit the record.
- de-escalating severity needs grc or the risk officer; escalating is always allowed.
- waivers of "preserve first" are approved by the AI risk officer.

Every rule answers a ``Decision`` (allowed, or the sentence that says why not). The services
``require()`` it, the API's permission class asks it before reading the body, and the incident
page offers an action only where it allows — one rule, one refusal, the same status (403).
"""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import MANAGERS, READ_ALL, Role
from aims.core.permissions import Decision, decide, has_any_role, has_role, is_signed_in

# Roles that may file an incident, and the roles an incident lead may hold.
FILING_ROLES = (*MANAGERS, Role.ENGINEER, Role.DPO, Role.LEGAL, Role.CISO)
LEAD_ROLES = (Role.GRC, Role.RISK_OFFICER, Role.ENGINEER, Role.CISO, Role.DPO, Role.LEGAL)
CONTRIBUTOR_ROLES = (Role.ENGINEER, Role.DPO, Role.LEGAL, Role.CISO)
EXPORT_ROLES = (*MANAGERS, Role.AUDITOR, Role.DPO, Role.LEGAL, Role.CISO, Role.EXECUTIVE)

MANAGE_REFUSAL = _("Only GRC staff, the AI risk officer and the incident lead %(what)s.")


def _managers_and_lead(what) -> str:
    return MANAGE_REFUSAL % {"what": what}


# --- who someone is ---------------------------------------------------------------------------


def is_manager(user) -> bool:
    return has_role(user, *MANAGERS)


def is_lead(user, incident) -> bool:
    return is_signed_in(user) and incident.lead_id == user.pk


def is_reporter(user, incident) -> bool:
    return is_signed_in(user) and incident.reported_by_id == user.pk


def reads_whole_register(user) -> bool:
    return has_role(user, *READ_ALL)


def manages(user, incident) -> bool:
    return is_manager(user) or is_lead(user, incident)


# --- one rule per action ----------------------------------------------------------------------


def can_use_register(user) -> Decision:
    return decide(
        has_any_role(user),
        _("Your account has no role in AIMS Register; ask GRC staff to assign one."),
    )


def can_file_incident(user) -> Decision:
    return decide(has_role(user, *FILING_ROLES), _("Your role cannot file incidents."))


def can_manage_incident(user, incident) -> Decision:
    """Edit the record (the generic manage rule; specific actions below name their own words)."""
    return decide(manages(user, incident), _managers_and_lead(_("edit an incident")))


def can_edit_incident(user, incident) -> Decision:
    return can_manage_incident(user, incident)


def can_move_incident(user, incident) -> Decision:
    return decide(manages(user, incident), _managers_and_lead(_("move an incident's lifecycle")))


def can_decide_containment(user, incident) -> Decision:
    return decide(manages(user, incident), _managers_and_lead(_("decide containment")))


def can_add_participant(user, incident) -> Decision:
    return decide(manages(user, incident), _managers_and_lead(_("add participants")))


def can_record_notification(user, incident) -> Decision:
    return decide(manages(user, incident), _managers_and_lead(_("record notifications")))


def can_assign_lead(user, incident=None) -> Decision:
    return decide(
        is_manager(user), _("Only GRC staff and the AI risk officer assign the incident lead.")
    )


def can_add_system(user, incident) -> Decision:
    return decide(
        manages(user, incident) or is_reporter(user, incident),
        _("Only GRC staff, the AI risk officer, the lead and the reporter add affected systems."),
    )


def _contributes(user, incident) -> bool:
    return manages(user, incident) or has_role(user, *CONTRIBUTOR_ROLES)


def can_contribute(user, incident) -> Decision:
    """Add evidence and notes: anyone who can see the incident, except read-only roles."""
    return decide(
        _contributes(user, incident), _("Your role can read this incident but not change it.")
    )


def can_add_note(user, incident) -> Decision:
    return decide(_contributes(user, incident), _("Your role cannot add notes to incidents."))


def can_add_evidence(user, incident) -> Decision:
    return decide(_contributes(user, incident), _("Your role cannot add evidence to incidents."))


def can_change_detection(user, incident) -> Decision:
    """Change a detection threshold of an affected system on the incident's behalf; the rule's
    own permission (the system's owners and managers) is asked by the inventory as well."""
    return decide(_contributes(user, incident), _("Your role cannot change detection thresholds."))


def can_change_severity(user, incident) -> Decision:
    return decide(
        _contributes(user, incident), _("Your role cannot change this incident's severity.")
    )


def can_deescalate(user, incident=None) -> Decision:
    return decide(
        is_manager(user),
        _("Lowering the severity needs GRC staff or the AI risk officer; anyone may raise it."),
    )


def can_approve_waiver(user, incident=None) -> Decision:
    return decide(
        has_role(user, Role.RISK_OFFICER),
        _("Only the AI risk officer approves a waiver of 'preserve evidence first'."),
    )


def can_see_reporter_identity(user) -> Decision:
    return decide(
        has_role(user, Role.ETHICS, Role.GRC),
        _("Only the ethics function and GRC staff see who reported a concern."),
    )


def can_handle_protected_reports(user) -> Decision:
    return decide(
        has_role(user, Role.ETHICS, Role.GRC),
        _("Only the ethics function and GRC staff handle protected-channel reports."),
    )


def can_export_register(user) -> Decision:
    return decide(
        has_role(user, *EXPORT_ROLES), _("Your role cannot export the incident register.")
    )


def can_post_alerts(user) -> Decision:
    """Monitoring tools post with an engineer service account's token; GRC staff and the AI
    risk officer may post too (e.g. to replay a delivery). Everyone else is refused."""
    return decide(
        has_role(user, Role.ENGINEER, *MANAGERS),
        _(
            "Only engineers (monitoring service accounts), GRC staff and the AI risk officer "
            "post alerts."
        ),
    )


def can_convert_protected_report(user) -> Decision:
    """GRC only: the ethics function handles a protected report but does not open incidents
    from it (others see the content only once GRC turns it into an incident)."""
    return decide(
        has_role(user, Role.GRC),
        _(
            "Only GRC staff turn a protected report into an incident; the ethics function "
            "can reply to the reporter and change the report's status."
        ),
    )


def can_restrict(user, incident=None) -> Decision:
    """Restricted incidents are seen only by their participants and GRC: GRC decides."""
    return decide(has_role(user, Role.GRC), _("Only GRC staff restrict or unrestrict an incident."))
