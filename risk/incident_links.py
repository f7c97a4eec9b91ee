"""Services by which an incident changes the risk register (issue: incidents change risks):
mark a risk as materialised, re-rate it with a reason (old and new ratings kept), or raise a new
risk from the incident. Each writes the link, the risk's timeline entry and — through the
incidents module's event writer — the incident's timeline entry, in one transaction."""

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save
from incidents.selectors import incidents_visible_to

from . import events, permissions, selectors, services
from .choices import IncidentLinkKind, RiskStatus
from .models import RiskIncidentLink

WHICH = ("inherent", "residual")


def _visible_incident(actor, incident):
    if not incidents_visible_to(actor).filter(pk=incident.pk).exists():
        raise ValidationFailed(_("This incident does not exist or you cannot see it."))


def _visible_risk(actor, risk):
    found = selectors.risks_visible_to(actor).filter(pk=risk.pk).first()
    if found is None:
        raise ValidationFailed(
            _("No such risk, or you cannot see it."), fields={"risk": [_("not found")]}
        )
    return found


def _record(*, actor, risk, incident, kind, reason="", old=None, new=None):
    link = model_save(
        RiskIncidentLink(
            risk=risk,
            incident=incident,
            kind=kind,
            reason=(reason or "").strip(),
            old_rating=old or {},
            new_rating=new or {},
            linked_by=actor,
            linked_at=timezone.now(),
        ),
        actor=actor,
        lookups=False,
    )
    events.incident_link_event(risk=risk, actor=actor, link=link)
    events.incident_timeline_event(link=link, actor=actor)
    return link


@audited_write
def incident_risk_materialised(*, actor, incident, risk, reason: str = "") -> RiskIncidentLink:
    """The incident is this risk happening: both records show the link."""
    require(permissions.can_link_incident(actor))
    _visible_incident(actor, incident)
    risk = _visible_risk(actor, risk)
    return _record(
        actor=actor, risk=risk, incident=incident, kind=IncidentLinkKind.MATERIALISED, reason=reason
    )


@audited_write
def incident_risk_rerate(
    *, actor, incident, risk, which: str, likelihood: int, impact: int, reason: str
) -> RiskIncidentLink:
    """Re-rate the risk because of the incident. A treated or accepted risk goes back to
    assessed first (its acceptance no longer stands): the incident is new information."""
    require(permissions.can_link_incident(actor))
    _visible_incident(actor, incident)
    risk = _visible_risk(actor, risk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Say why the incident changes the rating."), fields={"reason": [_("required")]}
        )
    if which not in WHICH:
        raise ValidationFailed(
            _("Re-rate the inherent or the residual rating."), fields={"which": [_("unknown")]}
        )
    if risk.status == RiskStatus.CLOSED:
        raise Conflict(_("%(ref)s is closed; reopen it to re-rate it.") % {"ref": risk.reference})
    old = services.rating_values(risk, which)
    if risk.status in (RiskStatus.TREATED, RiskStatus.ACCEPTED):
        risk = services.risk_transition(
            actor=actor,
            risk=risk,
            to=RiskStatus.ASSESSED,
            reason=_("Re-rated after incident %(ref)s: %(reason)s")
            % {"ref": incident.reference, "reason": reason},
        )
    risk = services.risk_update(
        actor=actor,
        risk=risk,
        data={f"{which}_likelihood": likelihood, f"{which}_impact": impact},
        reason=_("after incident %(ref)s: %(reason)s")
        % {"ref": incident.reference, "reason": reason},
        incident=incident,
    )
    return _record(
        actor=actor,
        risk=risk,
        incident=incident,
        kind=IncidentLinkKind.RERATED,
        reason=reason,
        old=old,
        new=services.rating_values(risk, which),
    )


@audited_write
def incident_risk_raise(*, actor, incident, data: dict) -> RiskIncidentLink:
    """A risk the register did not have, raised from the incident (its systems by default)."""
    require(permissions.can_link_incident(actor))
    _visible_incident(actor, incident)
    data = dict(data)
    if not data.get("systems"):
        data["systems"] = [a.system for a in incident.affected_systems.select_related("system")]
    data.setdefault("owner", actor)
    risk = services.risk_create(actor=actor, data=data)
    return _record(
        actor=actor,
        risk=risk,
        incident=incident,
        kind=IncidentLinkKind.RAISED,
        reason=_("raised from incident %(ref)s") % {"ref": incident.reference},
    )
