"""Who may do what with incidents (DESIGN section 6).

- grc, risk_officer, dpo, legal, ciso, executive, auditor read the whole register, except
  restricted incidents, which only their participants and grc see.
- engineers file incidents for any system and see those of systems they own, that they
  reported, or in which they take part; they add evidence and notes there.
- ethics sees incidents that came through the protected channel.
- only grc, the risk officer and the incident lead move the lifecycle and edit the record.
- de-escalating severity needs grc or the risk officer; escalating is always allowed.
- waivers of "preserve first" are approved by the AI risk officer.
"""

from aims.accounts.choices import MANAGERS, READ_ALL, Role


def has_role(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role_names))


def can_file_incident(user) -> bool:
    return has_role(user) and user.has_role(
        *MANAGERS, Role.ENGINEER, Role.DPO, Role.LEGAL, Role.CISO
    )


def is_manager(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*MANAGERS))


def is_lead(user, incident) -> bool:
    return bool(user and user.is_authenticated and incident.lead_id == user.pk)


def can_manage_incident(user, incident) -> bool:
    """Move the lifecycle, edit the record, decide containment."""
    return is_manager(user) or is_lead(user, incident)


def can_contribute(user, incident) -> bool:
    """Add evidence and notes: anyone who can see the incident, except read-only roles."""
    if can_manage_incident(user, incident):
        return True
    return user.has_role(Role.ENGINEER, Role.DPO, Role.LEGAL, Role.CISO)


def can_deescalate(user) -> bool:
    return is_manager(user)


def can_approve_waiver(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.RISK_OFFICER))


def reads_whole_register(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*READ_ALL))


def can_see_reporter_identity(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.ETHICS, Role.GRC))


def can_handle_protected_reports(user) -> bool:
    return can_see_reporter_identity(user)


def can_export_register(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and user.has_role(*MANAGERS, Role.AUDITOR, Role.DPO, Role.LEGAL, Role.CISO, Role.EXECUTIVE)
    )


def can_post_alerts(user) -> bool:
    """Monitoring tools post with an engineer service account's token; GRC staff and the AI
    risk officer may post too (e.g. to replay a delivery). Everyone else is refused."""
    return bool(user and user.is_authenticated and user.has_role(Role.ENGINEER, *MANAGERS))


def can_convert_protected_report(user) -> bool:
    """GRC only: the ethics function handles a protected report but does not open incidents
    from it (others see the content only once GRC turns it into an incident)."""
    return bool(user and user.is_authenticated and user.has_role(Role.GRC))
