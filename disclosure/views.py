"""HTML side of the disclosure module: the assessment on the incident page (a registered
section), its actions, and the Obligations page across incidents. Every write is one call to
``disclosure.services``; a refusal shows the rule's own words."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.selectors import incidents_visible_to
from incidents.views.common import form_errors_text, refused

from . import permissions, selectors, services
from .choices import Applies, CommunicationStatus, ObligationStatus
from .draft_views import edit_form_for
from .drafts import DRAFTS
from .forms import (
    CommunicationForm,
    ConfirmForm,
    FactsForm,
    ReopenForm,
    SignOffForm,
    SubmissionForm,
    VendorAcknowledgeForm,
    VendorFixForm,
    VendorNoticeForm,
)
from .models import IncidentFacts
from .rules import CODES

PAGE_SIZE = 50


def gated(rule):
    """Ask the action's rule before any record is looked up, as the API's
    ``DecisionPermission`` does: a role the rule refuses is told so (403) in the rule's words,
    whichever incident or obligation it names, so the page and the API answer alike."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not (decision := rule(request.user)):
                return refused(request, decision.message)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _visible_incident(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


def _back(incident):
    return redirect(f"{incident.get_absolute_url()}#disclosure")


def _run(request, incident, perform, success):
    try:
        perform()
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(incident)
    messages.success(request, success)
    return _back(incident)


# --- the section on the incident page ---------------------------------------------------------


def incident_section(request, incident) -> dict:
    """Context of the disclosure section: the assessment (or the live proposal), each rule's
    reason and source, and the forms this person may use."""
    user = request.user
    assessment = selectors.assessment_of(incident)
    now = timezone.now()
    can_assess = bool(permissions.can_assess(user, incident))
    rows = []
    if assessment is not None:
        for obligation in selectors.obligations_of(assessment):
            rows.append(
                {
                    "o": obligation,
                    "overdue": obligation.is_owed
                    and obligation.submitted_at is None
                    and obligation.deadline is not None
                    and obligation.deadline < now,
                    "confirm_form": ConfirmForm(
                        auto_id=f"confirm-{obligation.pk}-%s",
                        initial={"applies": obligation.applies or obligation.proposed},
                    )
                    if can_assess and not assessment.is_signed_off
                    else None,
                    "may_draft": obligation.code in DRAFTS
                    and obligation.effective != Applies.NO
                    and bool(permissions.can_communicate(user, incident)),
                    "submit_form": SubmissionForm(auto_id=f"submit-{obligation.pk}-%s")
                    if permissions.can_submit(user, obligation)
                    and obligation.effective != Applies.NO
                    and obligation.status != ObligationStatus.SUBMITTED
                    else None,
                }
            )
    facts = IncidentFacts.objects.filter(incident=incident).first()
    communications = [
        {
            "c": c,
            "may_approve": c.status == CommunicationStatus.DRAFT
            and bool(permissions.can_approve_communication(user, c)),
            "may_send": c.status == CommunicationStatus.APPROVED
            and bool(permissions.can_communicate(user, incident)),
            "edit_form": edit_form_for(c)
            if c.status == CommunicationStatus.DRAFT and permissions.can_communicate(user, incident)
            else None,
        }
        for c in selectors.communications_of(incident)
    ]
    return {
        **_vendor_section(user, incident),
        "rows": [r for r in rows if r["o"].effective != Applies.NO],
        "not_applicable": [r for r in rows if r["o"].effective == Applies.NO],
        "communications": communications,
        "communication_form": CommunicationForm(auto_id="comm-%s")
        if permissions.can_communicate(user, incident)
        else None,
        "may_handle_individuals": bool(permissions.can_handle_individuals(user, incident)),
        "assessment": assessment,
        "owed": sum(1 for r in rows if r["o"].effective == Applies.YES),
        "can_assess": can_assess,
        "facts_form": FactsForm(instance=facts, auto_id="facts-%s") if can_assess else None,
        "sign_off_form": SignOffForm(auto_id="signoff-%s")
        if assessment and not assessment.is_signed_off and permissions.can_sign_off(user)
        else None,
        "reopen_form": ReopenForm(auto_id="reopen-%s")
        if assessment and assessment.is_signed_off and permissions.can_sign_off(user)
        else None,
    }


# --- actions ----------------------------------------------------------------------------------


@login_required
@require_POST
@gated(permissions.can_assess)
def assessment_refresh(request, pk):
    incident = _visible_incident(request, pk)
    return _run(
        request,
        incident,
        lambda: services.assessment_propose(actor=request.user, incident=incident),
        _("The rules proposed the obligations from the incident's facts."),
    )


@login_required
@require_POST
@gated(permissions.can_assess)
def facts_update(request, pk):
    incident = _visible_incident(request, pk)
    form = FactsForm(request.POST, instance=IncidentFacts.objects.filter(incident=incident).first())
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.incident_facts_update(
            actor=request.user, incident=incident, data=form.service_data()
        ),
        _("The disclosure facts were saved and the obligations re-proposed."),
    )


def _visible_obligation(request, pk):
    obligation = (
        selectors.obligations_visible_to(request.user)
        .select_related("assessment__incident")
        .filter(pk=pk)
        .first()
    )
    if obligation is None:
        raise Http404(_("No such obligation, or you may not see it."))
    return obligation


@login_required
@require_POST
@gated(permissions.can_assess)
def obligation_confirm(request, pk):
    obligation = _visible_obligation(request, pk)
    incident = obligation.assessment.incident
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.obligation_confirm(
            actor=request.user, obligation=obligation, **form.cleaned_data
        ),
        _("%(code)s (%(stage)s) confirmed.") % {"code": obligation.code, "stage": obligation.stage},
    )


@login_required
@require_POST
@gated(permissions.can_submit)
def obligation_submit(request, pk):
    obligation = _visible_obligation(request, pk)
    incident = obligation.assessment.incident
    form = SubmissionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.obligation_submit(
            actor=request.user, obligation=obligation, **form.cleaned_data
        ),
        _("The submission was recorded."),
    )


@login_required
@require_POST
@gated(permissions.can_sign_off)
def assessment_sign_off(request, pk):
    incident = _visible_incident(request, pk)
    assessment = selectors.assessment_of(incident)
    form = SignOffForm(request.POST)
    if assessment is None or not form.is_valid():
        messages.error(request, _("Nothing to sign off yet."))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.assessment_sign_off(
            actor=request.user, assessment=assessment, comment=form.cleaned_data["comment"]
        ),
        _("The disclosure assessment is signed off."),
    )


@login_required
@require_POST
@gated(permissions.can_sign_off)
def assessment_reopen(request, pk):
    incident = _visible_incident(request, pk)
    assessment = selectors.assessment_of(incident)
    form = ReopenForm(request.POST)
    if assessment is None or not form.is_valid():
        messages.error(request, _("Say why the assessment is reopened."))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.assessment_reopen(
            actor=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
        ),
        _("The disclosure assessment is reopened."),
    )


# --- the Obligations page ---------------------------------------------------------------------


@login_required
@require_GET
def obligations(request):
    if not (decision := permissions.can_read_regimes(request.user)):
        return refused(request, decision.message)
    params = request.GET
    queryset = selectors.filter_obligations(selectors.open_obligations(request.user), params)
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    now = timezone.now()
    for obligation in page:
        obligation.overdue = (
            obligation.is_owed
            and obligation.submitted_at is None
            and obligation.deadline is not None
            and obligation.deadline < now
        )
    return render(
        request,
        "disclosure/obligations.html",
        {
            "page": page,
            "codes": CODES,
            "statuses": ObligationStatus.choices,
            "applies_choices": Applies.choices,
            "params": params,
        },
    )


# --- communications ---------------------------------------------------------------------------


@login_required
@require_POST
@gated(permissions.can_communicate)
def communication_draft(request, pk):
    incident = _visible_incident(request, pk)
    form = CommunicationForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    return _run(
        request,
        incident,
        lambda: services.communication_draft(
            actor=request.user, incident=incident, data=form.cleaned_data
        ),
        _("The communication is drafted; the plan names who approves it."),
    )


def _visible_communication(request, pk):
    communication = selectors.communications_visible_to(request.user).filter(pk=pk).first()
    if communication is None:
        raise Http404(_("No such communication, or you may not see it."))
    return communication


@login_required
@require_POST
def communication_approve(request, pk):
    communication = _visible_communication(request, pk)
    return _run(
        request,
        communication.incident,
        lambda: services.communication_approve(actor=request.user, communication=communication),
        _("The communication is approved."),
    )


@login_required
@require_POST
@gated(permissions.can_communicate)
def communication_send(request, pk):
    communication = _visible_communication(request, pk)
    return _run(
        request,
        communication.incident,
        lambda: services.communication_send(actor=request.user, communication=communication),
        _("The communication is recorded as sent."),
    )


@login_required
@require_POST
@gated(permissions.can_communicate)
def obligation_draft(request, pk):
    obligation = _visible_obligation(request, pk)
    return _run(
        request,
        obligation.assessment.incident,
        lambda: services.obligation_draft(actor=request.user, obligation=obligation),
        _(
            "A report draft was pre-filled from the record; complete the gaps, then have it approved."
        ),
    )


# --- supplier notices on the incident page ------------------------------------------------------


def _vendor_section(user, incident) -> dict:
    """The notices to the suppliers of the incident's systems, and the forms of who coordinates
    with them (the communications rule: legal, the DPO, GRC staff, the AI risk officer)."""
    may_coordinate = bool(permissions.can_communicate(user, incident))
    capas = list(selectors.capas_for_vendor_fix(incident)) if may_coordinate else []
    notices = [
        {
            "n": notice,
            "ack_form": VendorAcknowledgeForm(auto_id=f"ack-{notice.pk}-%s")
            if may_coordinate and notice.acknowledged_at is None
            else None,
            "fix_form": VendorFixForm(auto_id=f"fix-{notice.pk}-%s", capas=capas)
            if may_coordinate and notice.fixed_at is None
            else None,
        }
        for notice in selectors.vendor_notices_of(incident)
    ]
    supplied = selectors.supplied_systems_of(incident)
    offer = may_coordinate and supplied.exists()
    return {
        "vendor_notices": notices,
        "vendor_form": VendorNoticeForm(systems=supplied, auto_id="vendor-%s") if offer else None,
        "vendor_no_supplier": may_coordinate and not offer,
    }


@login_required
@require_POST
@gated(permissions.can_communicate)
def vendor_notice_record(request, pk):
    incident = _visible_incident(request, pk)
    form = VendorNoticeForm(request.POST, systems=selectors.supplied_systems_of(incident))
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    system = form.cleaned_data["system"]
    return _run(
        request,
        incident,
        lambda: services.vendor_notice_record(
            actor=request.user, incident=incident, system=system, data=form.service_data()
        ),
        _("The notice to %(supplier)s was recorded.") % {"supplier": system.supplier},
    )


def _visible_notice(request, pk):
    notice = selectors.vendor_notices_visible_to(request.user).filter(pk=pk).first()
    if notice is None:
        raise Http404(_("No such supplier notice, or you may not see it."))
    return notice


@login_required
@require_POST
@gated(permissions.can_communicate)
def vendor_notice_acknowledge(request, pk):
    notice = _visible_notice(request, pk)
    form = VendorAcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(notice.incident)
    return _run(
        request,
        notice.incident,
        lambda: services.vendor_notice_acknowledge(
            actor=request.user, notice=notice, **form.cleaned_data
        ),
        _("%(supplier)s's acknowledgement was recorded.") % {"supplier": notice.supplier},
    )


@login_required
@require_POST
@gated(permissions.can_communicate)
def vendor_notice_fix(request, pk):
    notice = _visible_notice(request, pk)
    form = VendorFixForm(request.POST, capas=selectors.capas_for_vendor_fix(notice.incident))
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(notice.incident)
    return _run(
        request,
        notice.incident,
        lambda: services.vendor_notice_fix(actor=request.user, notice=notice, **form.cleaned_data),
        _("%(supplier)s's fix was recorded.") % {"supplier": notice.supplier},
    )
