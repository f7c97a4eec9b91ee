"""Writing the risk methodology: a draft, its edits, its approval — which supersedes the
version in force without re-scoring what was scored under it.
"""

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save

from .. import permissions, rules, selectors
from ..choices import MethodologyStatus
from ..models import (
    RiskMethodology,
)

# --- methodology ----------------------------------------------------------------------------


METHODOLOGY_FIELDS = (
    "title",
    "likelihood_scale",
    "impact_scale",
    "bands",
    "acceptance_threshold",
    "notes",
)


def _check_method(values: dict) -> None:
    try:
        method = rules.method_from(
            values["likelihood_scale"],
            values["impact_scale"],
            values["bands"],
            values["acceptance_threshold"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            _(
                "The scales and bands are not in the expected shape: each level needs level, "
                "name and definition; each band code, label, min_score, max_score and "
                "accept_roles (%(error)s)."
            )
            % {"error": exc}
        ) from exc
    errors = rules.validate(method)
    if errors:
        raise ValidationFailed(" ".join(errors))


@audited_write
def methodology_draft(*, actor, data: dict | None = None) -> RiskMethodology:
    """A new draft version, starting from the version in force for whatever ``data`` leaves out."""
    require(permissions.can_draft_methodology(actor))
    current = selectors.methodology_in_force()
    values = {name: getattr(current, name) for name in METHODOLOGY_FIELDS}
    values.update({k: v for k, v in (data or {}).items() if k in METHODOLOGY_FIELDS})
    _check_method(values)
    version = (RiskMethodology.objects.aggregate(m=Max("version"))["m"] or 0) + 1
    return model_save(
        RiskMethodology(version=version, drafted_by=actor, **values), actor=actor, lookups=False
    )


@audited_write
def methodology_update(*, actor, methodology, data: dict, expected_version=None):
    require(permissions.can_draft_methodology(actor))
    methodology = RiskMethodology.objects.select_for_update().get(pk=methodology.pk)
    check_version(methodology, expected_version)
    if methodology.status != MethodologyStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(version)s is %(status)s and stays as it was approved; draft a new "
                "version to change the methodology."
            )
            % {"version": methodology.version, "status": methodology.get_status_display()}
        )
    for name, value in data.items():
        if name in METHODOLOGY_FIELDS:
            setattr(methodology, name, value)
    _check_method({name: getattr(methodology, name) for name in METHODOLOGY_FIELDS})
    return model_save(methodology, actor=actor, lookups=False)


@audited_write
def methodology_approve(*, actor, methodology) -> RiskMethodology:
    """Put a draft in force; the previous version is superseded.

    No stored score changes: each risk keeps the version it was scored under and shows that it
    needs re-assessment under the new one (``Risk.methodology`` is not the version in force).
    """
    require(permissions.can_approve_methodology(actor, methodology))
    methodology = RiskMethodology.objects.select_for_update().get(pk=methodology.pk)
    if methodology.status != MethodologyStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be approved; version %(version)s is %(status)s.")
            % {"version": methodology.version, "status": methodology.get_status_display()}
        )
    _check_method({name: getattr(methodology, name) for name in METHODOLOGY_FIELDS})
    now = timezone.now()
    current = RiskMethodology.objects.select_for_update().get(status=MethodologyStatus.IN_FORCE)
    current.status, current.superseded_at = MethodologyStatus.SUPERSEDED, now
    model_save(current, actor=actor, validate=False)
    methodology.status = MethodologyStatus.IN_FORCE
    methodology.approved_by, methodology.approved_at = actor, now
    return model_save(methodology, actor=actor, validate=False)


# --- risks ----------------------------------------------------------------------------------
