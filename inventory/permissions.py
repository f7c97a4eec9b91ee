"""Who may do what in the inventory (DESIGN section 6).

grc and risk_officer manage the inventory; a system's business or technical owner edits it and
records its versions, deployments and monitoring rules; everyone with a role reads it; auditors
and executives change nothing. Services call these before writing; API and HTML views call them
only to decide what to show.
"""

from aims.accounts.choices import MANAGERS


def _has_any_role(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role_names))


def can_view_inventory(user) -> bool:
    return _has_any_role(user)


def can_manage_inventory(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*MANAGERS))


def can_create_system(user) -> bool:
    return can_manage_inventory(user)


def can_change_system(user, system) -> bool:
    return can_manage_inventory(user) or (_has_any_role(user) and system.is_owned_by(user))


def can_delete_system(user, system) -> bool:
    return can_manage_inventory(user)


def can_record_for_system(user, system) -> bool:
    """Model versions, deployments and monitoring rules of a system."""
    return can_change_system(user, system)


def can_correct_change_log(user) -> bool:
    """Editing or deleting a past change-log entry is a correction only managers make."""
    return can_manage_inventory(user)
