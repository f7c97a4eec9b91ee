"""Who may do what in the inventory (DESIGN section 6) — each action's rule, written once.

grc and risk_officer manage the inventory; a system's business or technical owner edits it and
records its versions, deployments and monitoring rules; everyone with a role reads it; auditors
and executives change nothing. Each rule answers a ``Decision``: the services ``require()`` it,
the API and the pages ask the same rule to decide what to offer.
"""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import MANAGERS
from aims.core.permissions import Decision, decide, has_any_role, has_role

OWNERS_REFUSAL = _("Only GRC staff, the AI risk officer and the system's owners %(what)s.")


def _managers_and_owners(what) -> str:
    return OWNERS_REFUSAL % {"what": what}


def _manages(user) -> bool:
    return has_role(user, *MANAGERS)


def _owns_or_manages(user, system) -> bool:
    return _manages(user) or (has_any_role(user) and system.is_owned_by(user))


def can_view_inventory(user) -> Decision:
    return decide(
        has_any_role(user),
        _("Your account has no role in AIMS Register; ask GRC staff to assign one."),
    )


def can_manage_inventory(user) -> Decision:
    return decide(_manages(user), _("Only GRC staff and the AI risk officer manage the inventory."))


def can_create_system(user) -> Decision:
    return decide(_manages(user), _("Only GRC staff and the AI risk officer add AI systems."))


def can_change_system(user, system) -> Decision:
    return decide(_owns_or_manages(user, system), _managers_and_owners(_("edit an AI system")))


def can_delete_system(user, system) -> Decision:
    return decide(
        _manages(user),
        _("Only GRC staff and the AI risk officer remove AI systems; owners can retire them."),
    )


def can_record_for_system(user, system, what=None) -> Decision:
    """Model versions, deployments and monitoring rules of a system."""
    return decide(
        _owns_or_manages(user, system),
        _managers_and_owners(what or _("record model versions, deployments and monitoring rules")),
    )


def can_approve_model_version(user, version=None) -> Decision:
    return decide(
        _manages(user), _("Only GRC staff and the AI risk officer approve model versions.")
    )


def can_correct_change_log(user) -> Decision:
    """Editing or deleting a past change-log entry is a correction only managers make."""
    return decide(
        _manages(user), _("Only GRC staff and the AI risk officer correct the change log.")
    )


def can_sync_registry(user, system) -> Decision:
    """Asking for a model-registry sync now: whoever records the system's versions."""
    return can_record_for_system(user, system, what=_("sync the system with its model registry"))


def can_import_wandb_manifest(user, system) -> Decision:
    return can_record_for_system(user, system, what=_("import W&B artifact manifests"))
