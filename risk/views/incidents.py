"""The incident page's risk section and its forms: link a risk as materialised, re-rate one,
raise a new one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aims.core.exceptions import ValidationFailed
from incidents.views.common import form_errors_text

from .. import incident_links, permissions, selectors
from ..forms import (
    IncidentRiskLinkForm,
    IncidentRiskRaiseForm,
    IncidentRiskRerateForm,
)
from .common import gate, run_action
from .impact import risk_review_context

# --- the incident page's section: incidents change risks --------------------------------------


def incident_section(request, incident) -> dict | None:
    """The risks this incident changed, and the forms to link, re-rate or raise one."""
    user = request.user
    if not permissions.can_read_register(user):
        return None
    may = bool(permissions.can_link_incident(user, incident))
    return {
        "links": selectors.incident_links_of(incident, user),
        "link_form": IncidentRiskLinkForm(auto_id="risk-link-%s") if may else None,
        "rerate_form": IncidentRiskRerateForm(auto_id="risk-rerate-%s") if may else None,
        "raise_form": IncidentRiskRaiseForm(auto_id="risk-raise-%s") if may else None,
        **risk_review_context(user, incident),
    }


def _incident_or_404(request, pk):
    from incidents.selectors import incidents_visible_to

    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


def _risk_by_reference(user, reference):
    return selectors.risks_visible_to(user).filter(reference__iexact=reference.strip()).first()


def _incident_action(request, pk, form_class, perform, success):
    incident = _incident_or_404(request, pk)
    back = f"{incident.get_absolute_url()}#risks"
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    return run_action(request, lambda: perform(incident, form.cleaned_data), success, back)


def _need_risk(user, reference):
    risk = _risk_by_reference(user, reference)
    if risk is None:
        raise ValidationFailed(_("No risk %(ref)s that you can see.") % {"ref": reference})
    return risk


@login_required
@require_POST
@gate(permissions.can_link_incident)
def incident_risk_link(request, pk):
    return _incident_action(
        request,
        pk,
        IncidentRiskLinkForm,
        lambda incident, data: incident_links.incident_risk_materialised(
            actor=request.user,
            incident=incident,
            risk=_need_risk(request.user, data["risk"]),
            reason=data["reason"],
        ),
        _("The risk is linked to the incident as materialised."),
    )


@login_required
@require_POST
@gate(permissions.can_link_incident)
def incident_risk_rerate(request, pk):
    return _incident_action(
        request,
        pk,
        IncidentRiskRerateForm,
        lambda incident, data: incident_links.incident_risk_rerate(
            actor=request.user,
            incident=incident,
            risk=_need_risk(request.user, data["risk"]),
            which=data["which"],
            likelihood=data["likelihood"],
            impact=data["impact"],
            reason=data["reason"],
        ),
        _("The risk is re-rated; both records show why."),
    )


@login_required
@require_POST
@gate(permissions.can_link_incident)
def incident_risk_raise(request, pk):
    return _incident_action(
        request,
        pk,
        IncidentRiskRaiseForm,
        lambda incident, data: incident_links.incident_risk_raise(
            actor=request.user, incident=incident, data=data
        ),
        _("A new risk is in the register, linked to the incident."),
    )
