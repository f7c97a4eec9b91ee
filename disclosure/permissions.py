"""Who may do what in the disclosure module (DESIGN section 6), each rule written once."""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import Role
from aims.core.permissions import Decision, decide, has_any_role, has_role

RULE_EDITORS = (Role.LEGAL, Role.GRC)


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
