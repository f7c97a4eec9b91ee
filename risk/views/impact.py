"""Impact-assessment pages: the list with its filters, an assessment with the system's history
of versions, the create and edit forms, the submit/approve/return moves; the section on the AI
system's page; the incident's risk-register review (a form of the incident page's risk section).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.clocks.selectors import describe as describe_clock
from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError
from incidents.views.common import form_errors_text, refused
from inventory.selectors import systems_visible_to

from .. import impact_selectors as selectors
from .. import permissions, services
from ..choices import ImpactStatus
from ..impact_forms import ImpactForm, ImpactListFilter, ImpactMoveForm, IncidentRiskReviewForm
from ..workflow import IMPACT_LIFECYCLE
from .common import form_methods, gate, run_action

PAGE_SIZE = 25


def _visible(request, pk):
    assessment = selectors.assessment_detail(request.user, pk)
    if assessment is None:
        raise Http404(_("No such impact assessment, or you may not see it."))
    return assessment


def _incident_by_reference(user, reference):
    from incidents.selectors import incidents_visible_to

    reference = (reference or "").strip()
    if not reference:
        return None, None
    incident = incidents_visible_to(user).filter(reference__iexact=reference).first()
    if incident is None:
        return None, _("No incident %(ref)s that you can see.") % {"ref": reference}
    return incident, None


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(permissions.can_read_impact)
def impact_list(request):
    user = request.user
    systems = systems_visible_to(user).order_by("reference")
    form = ImpactListFilter(request.GET or None, systems=systems)
    filters = form.cleaned_data if form.is_valid() else {}
    system = filters.get("system")
    rows = selectors.assessment_list(
        user,
        system=system.pk if system else None,
        status=filters.get("status") or None,
        due=filters.get("due") or None,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "assessments": page.object_list,
        "can_create": permissions.can_edit_impact(user),
    }
    return render(request, "risk/impact_list.html", context)


@login_required
@form_methods
@gate(permissions.can_edit_impact)
def impact_create(request):
    user = request.user
    systems = systems_visible_to(user).order_by("reference")
    initial = {"system": request.GET.get("system")} if request.method == "GET" else None
    form = ImpactForm(request.POST or None, systems=systems, initial=initial)
    if request.method == "POST" and form.is_valid():
        incident, problem = _incident_by_reference(user, form.cleaned_data["incident_reference"])
        if problem:
            messages.error(request, problem)
        else:
            try:
                assessment = services.impact_create(
                    actor=user,
                    system=form.cleaned_data["system"],
                    data={**form.data_for_service(), "incident": incident},
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%(ref)s drafted.") % {"ref": assessment.reference})
                return redirect(assessment.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, form_errors_text(form))
    return render(request, "risk/impact_form.html", {"form": form, "assessment": None})


@login_required
@form_methods
@gate(permissions.can_edit_impact)
def impact_edit(request, pk):
    user = request.user
    assessment = _visible(request, pk)
    systems = systems_visible_to(user).filter(pk=assessment.system_id)
    form = ImpactForm(
        request.POST or None,
        systems=systems,
        system=assessment.system,
        initial={**ImpactForm.initial_for(assessment), "version": version_of(assessment)},
    )
    if request.method == "POST" and form.is_valid():
        incident, problem = _incident_by_reference(user, form.cleaned_data["incident_reference"])
        if problem:
            messages.error(request, problem)
        else:
            try:
                services.impact_update(
                    actor=user,
                    assessment=assessment,
                    data={**form.data_for_service(), "incident": incident},
                    expected_version=form.cleaned_data.get("version") or None,
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%(ref)s saved.") % {"ref": assessment.reference})
                return redirect(assessment.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, form_errors_text(form))
    return render(request, "risk/impact_form.html", {"form": form, "assessment": assessment})


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(permissions.can_read_impact)
def impact_detail(request, pk):
    user = request.user
    assessment = _visible(request, pk)
    moves = [
        {
            "move": move,
            "form": ImpactMoveForm(initial={"to": move.target}, auto_id=f"move-{move.target}-%s"),
        }
        for move in IMPACT_LIFECYCLE.moves_from(assessment.status)
        if IMPACT_LIFECYCLE.may(move, user, assessment)
    ]
    context = {
        "assessment": assessment,
        "versions": selectors.versions_of(assessment),
        "flag": selectors.open_flag(assessment.system),
        "clocks": [describe_clock(c) for c in clocks_of(assessment)],
        "moves": moves,
        "may_edit": assessment.status == ImpactStatus.DRAFT
        and bool(permissions.can_edit_impact(user, assessment)),
        "may_start": bool(permissions.can_edit_impact(user)),
    }
    return render(request, "risk/impact_detail.html", context)


@login_required
@require_POST
@gate(permissions.can_read_impact)
def impact_transition(request, pk):
    assessment = _visible(request, pk)
    form = ImpactMoveForm(request.POST)
    back = assessment.get_absolute_url()
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    to = form.cleaned_data["to"]
    return run_action(
        request,
        lambda: services.impact_transition(
            actor=request.user, assessment=assessment, to=to, reason=form.cleaned_data["reason"]
        ),
        _("%(ref)s is now %(to)s.") % {"ref": assessment.reference, "to": ImpactStatus(to).label},
        back,
    )


# --- the AI system page's section ------------------------------------------------------------


def system_section(request, system) -> dict | None:
    """The system's current assessment, its status and due date, and the due-for-review flag."""
    if not permissions.can_read_impact(request.user):
        return None
    current = selectors.current_of_system(system)
    return {
        "current": current,
        "flag": selectors.open_flag(system),
        "overdue": current is not None
        and current.status == ImpactStatus.APPROVED
        and current.next_due_date is not None
        and current.next_due_date < timezone.localdate(),
        "can_create": bool(permissions.can_edit_impact(request.user)),
    }


# --- the incident page: the risk register reviewed for the incident ----------------------------


def risk_review_context(user, incident) -> dict:
    """What the incident page's risk section adds: the recorded decision, or the form."""
    review = selectors.risk_review_of(incident)
    may = review is None and bool(permissions.can_review_incident_risks(user, incident))
    return {
        "risk_review": review,
        "risk_review_form": IncidentRiskReviewForm(auto_id="risk-review-%s") if may else None,
    }


@login_required
@require_POST
@gate(permissions.can_read_register)
def incident_risk_review(request, pk):
    from incidents.selectors import incidents_visible_to

    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    decision = permissions.can_review_incident_risks(request.user, incident)
    if not decision:
        return refused(request, decision.message)
    back = f"{incident.get_absolute_url()}#risks"
    form = IncidentRiskReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    return run_action(
        request,
        lambda: services.incident_risk_review_record(
            actor=request.user,
            incident=incident,
            outcome=form.cleaned_data["outcome"],
            reason=form.cleaned_data["reason"],
        ),
        _("The review of the risk register is recorded."),
        back,
    )
