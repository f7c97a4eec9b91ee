"""HTML side of the learning loop: the root-cause, scope and remediation section on the incident
page (a registered section) and its forms. Every write is one call to ``capa.services``; a
refusal shows the rule's own words."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.selectors import incidents_visible_to
from incidents.views.common import form_errors_text, refused

from .. import permissions, selectors, services
from ..choices import DIAGNOSTIC_FOR, RootCauseStatus
from ..forms import (
    DiagnosticForm,
    DoneForm,
    EvidenceLinkForm,
    ReasonForm,
    RemediationItemForm,
    ReprocessingForm,
    RestoreForm,
    RootCauseForm,
    ScopeForm,
    VerificationForm,
    WhyForm,
)
from ..models import RemediationItem

# --- the section on the incident page ---------------------------------------------------------


def investigation_section(request, incident) -> dict:
    """Context of the section: candidates with their whys, diagnostics and evidence, the scope,
    the remediation plan, recurrences, and the forms this person may use."""
    user = request.user
    may_analyse = bool(permissions.can_analyse(user, incident))
    may_diagnose = bool(permissions.can_add_diagnostic(user, incident))
    may_confirm = bool(permissions.can_confirm_root_cause(user, incident))
    may_scope = bool(permissions.can_record_scope(user, incident))
    may_plan = bool(permissions.can_plan_remediation(user, incident))
    # The incident's evidence, read once for every candidate's "link evidence" form.
    evidence_items = list(incident.evidence.all()) if may_diagnose else []
    causes = []
    for cause in selectors.root_causes_of(incident):
        open_ = cause.status == RootCauseStatus.CONSIDERED
        causes.append(
            {
                "c": cause,
                "why_form": WhyForm(auto_id=f"why-{cause.pk}-%s")
                if open_ and may_analyse
                else None,
                "diagnostic_form": DiagnosticForm(
                    auto_id=f"diag-{cause.pk}-%s",
                    initial={"method": DIAGNOSTIC_FOR.get(cause.category)},
                )
                if open_ and may_diagnose
                else None,
                "may_link": open_ and may_diagnose,
                "may_confirm": open_ and may_confirm,
            }
        )
    plan = selectors.plan_of(incident)
    scope = selectors.scope_of(incident)
    return {
        "causes": causes,
        "confirmed": next(
            (c["c"] for c in causes if c["c"].status == RootCauseStatus.CONFIRMED), None
        ),
        "root_cause_form": RootCauseForm(auto_id="rc-%s") if may_analyse else None,
        "evidence_items": evidence_items,
        "scope": scope,
        "scope_form": ScopeForm(auto_id="scope-%s") if may_scope else None,
        "plan": plan,
        "items": list(plan.items.all()) if plan else [],
        "item_form": RemediationItemForm(auto_id="item-%s") if may_plan else None,
        "reprocessing_form": ReprocessingForm(
            auto_id="reproc-%s",
            initial={
                "affected_cases": plan.affected_cases if plan else 0,
                "reprocessed_cases": plan.reprocessed_cases if plan else 0,
                "outcome_changed_cases": plan.outcome_changed_cases if plan else 0,
            },
        )
        if may_plan
        else None,
        "verification_form": VerificationForm(auto_id="verify-%s") if may_plan else None,
        "restore_form": RestoreForm(auto_id="restore-%s")
        if may_plan and not (plan and plan.restored_at)
        else None,
        "may_complete_any": may_plan,
        "user_pk": user.pk,
        "recurrences": [
            {
                "r": r,
                "other": r.later_incident
                if r.earlier_incident_id == incident.pk
                else r.earlier_incident,
                "earlier": r.later_incident_id == incident.pk,
            }
            for r in selectors.recurrences_of(incident)
        ],
    }


# --- actions -----------------------------------------------------------------------------------


def _visible_incident(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


def _visible_root_cause(request, pk):
    cause = (
        selectors.root_causes_visible_to(request.user)
        .select_related("incident")
        .filter(pk=pk)
        .first()
    )
    if cause is None:
        raise Http404(_("No such root cause, or you may not see it."))
    return cause


def _visible_item(request, pk) -> RemediationItem:
    item = (
        selectors.remediation_items_visible_to(request.user)
        .select_related("plan__incident")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404(_("No such remediation item, or you may not see it."))
    return item


def _back(incident):
    return redirect(f"{incident.get_absolute_url()}#root-cause")


def _act(request, incident, decision, form, perform, success):
    """Check the rule first (403 with its words), then the form, then the service."""
    if not decision:
        return refused(request, decision.message)
    if form is not None and not form.is_valid():
        messages.error(request, form_errors_text(form))
        return _back(incident)
    try:
        perform(form.cleaned_data if form is not None else {})
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(incident)
    messages.success(request, success)
    return _back(incident)


@login_required
@require_POST
def root_cause_propose(request, pk):
    incident = _visible_incident(request, pk)
    return _act(
        request,
        incident,
        permissions.can_analyse(request.user, incident),
        RootCauseForm(request.POST),
        lambda d: services.root_cause_propose(actor=request.user, incident=incident, **d),
        _("The candidate root cause was recorded."),
    )


@login_required
@require_POST
def why_add(request, pk):
    cause = _visible_root_cause(request, pk)
    return _act(
        request,
        cause.incident,
        permissions.can_analyse(request.user, cause.incident),
        WhyForm(request.POST),
        lambda d: services.why_add(actor=request.user, root_cause=cause, **d),
        _("The why was added to the chain."),
    )


@login_required
@require_POST
def diagnostic_add(request, pk):
    cause = _visible_root_cause(request, pk)
    return _act(
        request,
        cause.incident,
        permissions.can_add_diagnostic(request.user, cause.incident),
        DiagnosticForm(request.POST),
        lambda d: services.diagnostic_add(actor=request.user, root_cause=cause, **d),
        _("The diagnostic was recorded."),
    )


@login_required
@require_POST
def evidence_link(request, pk):
    cause = _visible_root_cause(request, pk)
    return _act(
        request,
        cause.incident,
        permissions.can_add_diagnostic(request.user, cause.incident),
        EvidenceLinkForm(request.POST, incident=cause.incident),
        lambda d: services.evidence_link(actor=request.user, root_cause=cause, **d),
        _("The evidence was linked to the root cause."),
    )


@login_required
@require_POST
def root_cause_confirm(request, pk):
    cause = _visible_root_cause(request, pk)
    return _act(
        request,
        cause.incident,
        permissions.can_confirm_root_cause(request.user, cause.incident),
        None,
        lambda d: services.root_cause_confirm(actor=request.user, root_cause=cause),
        _("The root cause is confirmed."),
    )


@login_required
@require_POST
def root_cause_rule_out(request, pk):
    cause = _visible_root_cause(request, pk)
    return _act(
        request,
        cause.incident,
        permissions.can_confirm_root_cause(request.user, cause.incident),
        ReasonForm(request.POST),
        lambda d: services.root_cause_rule_out(actor=request.user, root_cause=cause, **d),
        _("The candidate was ruled out."),
    )


@login_required
@require_POST
def scope_record(request, pk):
    incident = _visible_incident(request, pk)
    form = ScopeForm(request.POST)
    return _act(
        request,
        incident,
        permissions.can_record_scope(request.user, incident),
        form,
        lambda d: services.scope_record(
            actor=request.user, incident=incident, data=form.service_data(), confirm=d["confirm"]
        ),
        _("The scope was recorded."),
    )


@login_required
@require_POST
def remediation_item_add(request, pk):
    incident = _visible_incident(request, pk)
    return _act(
        request,
        incident,
        permissions.can_plan_remediation(request.user, incident),
        RemediationItemForm(request.POST),
        lambda d: services.remediation_item_add(actor=request.user, incident=incident, **d),
        _("The remediation item was added to the plan."),
    )


@login_required
@require_POST
def remediation_item_done(request, pk):
    item = _visible_item(request, pk)
    return _act(
        request,
        item.plan.incident,
        permissions.can_complete_item(request.user, item),
        DoneForm(request.POST),
        lambda d: services.remediation_item_done(actor=request.user, item=item, **d),
        _("The remediation item is done."),
    )


@login_required
@require_POST
def reprocessing_update(request, pk):
    incident = _visible_incident(request, pk)
    return _act(
        request,
        incident,
        permissions.can_plan_remediation(request.user, incident),
        ReprocessingForm(request.POST),
        lambda d: services.reprocessing_update(actor=request.user, incident=incident, **d),
        _("The re-processing counts were saved."),
    )


@login_required
@require_POST
def fix_verify(request, pk):
    incident = _visible_incident(request, pk)
    return _act(
        request,
        incident,
        permissions.can_plan_remediation(request.user, incident),
        VerificationForm(request.POST),
        lambda d: services.fix_verify(actor=request.user, incident=incident, **d),
        _("The verification of the fix was recorded."),
    )


@login_required
@require_POST
def normal_operation_restore(request, pk):
    incident = _visible_incident(request, pk)
    return _act(
        request,
        incident,
        permissions.can_plan_remediation(request.user, incident),
        RestoreForm(request.POST),
        lambda d: services.normal_operation_restore(actor=request.user, incident=incident, **d),
        _("Normal operation restored: the decision was recorded."),
    )
