"""Containment option A carried out in the model registry (MLflow).

The containment decision names the known-good version; when its system is linked to a registry
and the version came from it, the decision can ask for the production alias to be moved back.
The decision and the request are committed together, after the guards ("preserve evidence
first" or a waiver, and the change log's own guards for every open incident of the system) and
the right to contain. The move itself runs in a task: set the alias, read it back, and only when
it reads back as the chosen version record the rollback deployment. A failure leaves the change
log untouched, says why on the timeline and on the request, and can be retried.
"""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.queueing import hand_to_worker
from aims.core.services import audited_write, model_save
from inventory.guards import check_change_guards
from inventory.mlflow_client import RegistryError
from inventory.services import registry

from .. import events, permissions
from ..choices import RegistryRollbackStatus
from ..models import RegistryRollback

logger = logging.getLogger(__name__)

ROLLBACK_MAX_TRIES = 3


def registry_rollback_link(fallback_version):
    """The link the alias move goes through, or the reason it cannot be offered."""
    link = registry.registry_rollback_target(fallback_version)
    if link is None:
        raise ValidationFailed(
            _(
                "%(version)s cannot be put back through a model registry: its system has no "
                "active registry link, or the version was not imported from the registry."
            )
            % {"version": fallback_version},
            fields={"move_registry_alias": ["no registry for this version"]},
        )
    return link


def rollback_request(*, actor, decision, link) -> RegistryRollback:
    """Inside ``containment_decide``'s transaction, after its guards and permission."""
    version = decision.fallback_version
    check_change_guards(version.system, "rollback")
    rollback = model_save(
        RegistryRollback(
            decision=decision,
            incident=decision.incident,
            from_version=registry.production_version(version.system),
            to_version=version,
            requested_by=actor,
        ),
        actor=actor,
        lookups=False,
    )
    events.registry_rollback_requested_event(
        incident=decision.incident, actor=actor, rollback=rollback, link=link
    )
    transaction.on_commit(lambda: _queue(rollback.pk))
    return rollback


def _queue(rollback_id: int) -> None:
    from ..tasks import move_registry_alias

    hand_to_worker(move_registry_alias, rollback_id, what="registry rollback")


@audited_write
def _claim(rollback_id: int) -> RegistryRollback | None:
    rollback = (
        RegistryRollback.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident", "to_version", "to_version__system", "requested_by", "decision")
        .filter(pk=rollback_id)
        .first()
    )
    if rollback is None or rollback.status != RegistryRollbackStatus.REQUESTED:
        return None
    rollback.tries += 1
    return model_save(rollback, actor=None, validate=False)


def registry_rollback_execute(rollback_id: int, *, final_try: bool | None = None) -> str | None:
    """Move the alias and verify it. Safe to call twice: a moved or failed request is left.

    Returns the status; ``requested`` means the registry did not answer and the task retries.
    """
    rollback = _claim(rollback_id)
    if rollback is None:
        return (
            RegistryRollback.objects.filter(pk=rollback_id).values_list("status", flat=True).first()
        )
    if final_try is None:
        final_try = rollback.tries >= ROLLBACK_MAX_TRIES
    link = registry.registry_rollback_target(rollback.to_version)
    try:
        if link is None:
            raise RegistryError(_("The system's registry link was removed or deactivated."))
        registry.registry_alias_move(link=link, version=rollback.to_version)
    except RegistryError as exc:
        logger.warning("registry rollback %s try %s failed: %s", rollback_id, rollback.tries, exc)
        return _failed(rollback, exc, retry=exc.retryable and not final_try).status
    return _moved(rollback, link).status


@audited_write
def _moved(rollback: RegistryRollback, link) -> RegistryRollback:
    incident = rollback.incident
    rollback.deployment = registry.registry_rollback_deployment_record(
        actor=rollback.requested_by,
        link=link,
        version=rollback.to_version,
        notes=_("Containment of %(ref)s (option A): %(rationale)s")
        % {"ref": incident.reference, "rationale": rollback.decision.rationale},
    )
    rollback.status = RegistryRollbackStatus.MOVED
    rollback.verified_at = timezone.now()
    rollback.error_message = ""
    model_save(rollback, actor=rollback.requested_by, validate=False)
    events.registry_rollback_moved_event(incident=incident, rollback=rollback, link=link)
    return rollback


@audited_write
def _failed(rollback: RegistryRollback, exc: RegistryError, *, retry: bool) -> RegistryRollback:
    rollback.error_message = str(exc)
    if not retry:
        rollback.status = RegistryRollbackStatus.FAILED
    model_save(rollback, actor=None, validate=False)
    events.registry_rollback_failed_event(
        incident=rollback.incident, rollback=rollback, retrying=retry
    )
    return rollback


@audited_write
def registry_rollback_retry(*, actor, incident) -> RegistryRollback:
    """Ask again for the incident's latest rollback in the registry, when it failed (the
    registry was down, the version has been restored) or stalled (its task never ran: the
    broker was down when it was requested)."""
    require(permissions.can_decide_containment(actor, incident))
    rollback = (
        RegistryRollback.objects.select_for_update(no_key=True, of=("self",))
        .select_related("incident", "to_version", "to_version__system")
        .filter(incident=incident)
        .order_by("-created_at", "-id")
        .first()
    )
    if rollback is None:
        raise ValidationFailed(_("This incident has no rollback in a model registry."))
    if rollback.status != RegistryRollbackStatus.FAILED and not rollback.stalled:
        raise ValidationFailed(
            _("Only a failed rollback can be retried; this one is %(status)s.")
            % {"status": rollback.get_status_display().lower()}
        )
    registry_rollback_link(rollback.to_version)
    check_change_guards(rollback.to_version.system, "rollback")
    events.registry_rollback_retried_event(
        incident=rollback.incident, actor=actor, rollback=rollback
    )
    rollback.status = RegistryRollbackStatus.REQUESTED
    rollback.tries = 0
    model_save(rollback, actor=actor, validate=False)
    transaction.on_commit(lambda: _queue(rollback.pk))
    return rollback
