"""HTML side of the CAPA records and audit findings: the CAPA register, the CAPA page and its
actions, the findings list and page, and the CAPA section of the incident page. Every write is
one call to ``capa.services``; a refusal shows the rule's own words."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.listing import sort_columns
from aims.core.pagination import DeferredJoinPaginator
from aims.core.views import show_service_error
from incidents.selectors import incidents_visible_to
from incidents.views.common import form_errors_text, refused

from .. import permissions, rules, selectors, services, workflow
from ..choices import ActionSource, ActionStatus, CheckResult
from ..filters import CapaFilter, FindingFilter
from ..forms import (
    CapaEditForm,
    CapaForm,
    CategoryForm,
    CheckPlanForm,
    CheckResultForm,
    EvidenceForm,
    FindingForm,
    NoCapaForm,
    TransitionForm,
)
from ..models import ActionEvidence

PAGE_SIZE = 25
SORTABLE = {
    "reference": _("Reference"),
    "title": _("Title"),
    "status": _("Status"),
    "horizon": _("Horizon"),
    "due": _("Due"),
}
FILTER_SELECTS = ["status", "action_type", "source", "horizon"]
form_methods = require_http_methods(["GET", "POST"])


def _visible_capa(request, pk):
    capa = selectors.capa_page(request.user, pk)
    if capa is None:
        raise Http404(_("No such CAPA, or you may not see it."))
    return capa


def _run(request, back, perform, success):
    """Run one service call; a refusal shows its words (403 page), another error a message."""
    try:
        perform()
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


# --- the register ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def register(request):
    """The CAPA register: filters in the URL (bookmarkable), sort, page."""
    user = request.user
    decision = permissions.can_read(user)
    if not decision:
        return refused(request, decision.message)
    params = request.GET
    filterset = CapaFilter(params or None, queryset=selectors.register(user))
    rows = filterset.qs
    ordering = list(rows.query.order_by)
    rows = rows.order_by(*ordering, "-id") if ordering else rows.order_by("due_at", "id")
    page = DeferredJoinPaginator(rows, PAGE_SIZE).get_page(params.get("page"))
    controls = []
    for name in FILTER_SELECTS:
        field = filterset.form.fields[name]
        chosen = set(params.getlist(name))
        controls.append(
            {
                "name": name,
                "label": field.label,
                "options": [(str(v), label, str(v) in chosen) for v, label in field.choices if v],
            }
        )
    context = {
        "filterset": filterset,
        "page_obj": page,
        "capas": page.object_list,
        "columns": sort_columns(SORTABLE, params.get("ordering", ""), "due"),
        "ordering": params.get("ordering", ""),
        "controls": controls,
        "overdue": params.get("overdue", ""),
        "recurred": params.get("recurred", ""),
        "mine": params.get("owner", "") == str(user.pk),
        "can_create": permissions.can_create_capa(user),
        # the CAPA register as a file, with the filters shown (reporting builds it)
        "can_export": permissions.can_export_capas(user),
        "export_params": [
            (key, value)
            for key in params
            if key not in ("page", "ordering")
            for value in params.getlist(key)
            if value
        ],
    }
    return render(request, "capa/register.html", context)


# --- creating -----------------------------------------------------------------------------


@login_required
@form_methods
def capa_create(request):
    """Raise a CAPA; from an incident (``?incident=``) with a root-cause category
    (``?category=``) the playbook's long-term fixes are offered as one-click suggestions."""
    user = request.user
    decision = permissions.can_create_capa(user)
    if not decision:
        return refused(request, decision.message)
    source = request.POST if request.method == "POST" else request.GET
    incident = None
    if source.get("incident"):
        incident = incidents_visible_to(user).filter(pk=_int(source.get("incident"))).first()
        if incident is None:
            raise Http404(_("No such incident, or you may not see it."))
    # The incident's confirmed root cause is the one the CAPA answers (the service links it):
    # its category decides which playbook fixes are offered.
    root_cause = selectors.confirmed_root_cause(incident) if incident is not None else None
    category_form = CategoryForm(request.GET or None)
    category = (
        category_form.cleaned_data.get("category", "")
        if category_form.is_bound and category_form.is_valid()
        else source.get("root_cause_category", "")
    )
    if root_cause is not None:
        category = root_cause.category
    suggestions = rules.suggestions_for(category)
    chosen = rules.suggestion(category, request.GET.get("suggestion", "")) if category else None
    initial = {"owner": user.pk, "root_cause_category": category}
    if incident is not None:
        initial["source"] = ActionSource.INCIDENT
    if source.get("finding"):
        initial["finding"] = _int(source.get("finding"))
        initial["source"] = ActionSource.AUDIT_FINDING
    if source.get("follows"):
        initial["follows"] = _int(source.get("follows"))
    if chosen is not None:
        initial.update(
            title=chosen.title,
            description=chosen.description,
            action_type=chosen.action_type,
            horizon=chosen.horizon,
            suggestion=chosen.key,
        )
    if request.method == "POST":
        form = CapaForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "suggestion"}
            data = {k: v for k, v in data.items() if v not in (None, "")}
            try:
                capa = services.capa_create(
                    actor=user, data=data, incidents=[incident] if incident else []
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
            else:
                messages.success(request, _("%s raised.") % capa.reference)
                return redirect(capa)
    else:
        form = CapaForm(initial=initial)
    return render(
        request,
        "capa/capa_form.html",
        {
            "form": form,
            "incident": incident,
            "category_form": category_form if category_form.is_bound else CategoryForm(),
            "category": category,
            "suggestions": suggestions,
            "root_cause": root_cause,
        },
    )


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# --- the CAPA page ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def capa_detail(request, pk):
    user = request.user
    capa = _visible_capa(request, pk)
    check = getattr(capa, "effectiveness_check", None)
    moves = [
        {"move": m, "may": bool(workflow.CAPA_LIFECYCLE.may(m, user, capa))}
        for m in workflow.CAPA_LIFECYCLE.moves_from(capa.status)
    ]
    context = {
        "capa": capa,
        "doubts": selectors.recurrences_doubting(capa, user),
        "check": check,
        "moves": [m for m in moves if m["may"]],
        "links": list(capa.links.all()),
        "evidence": list(capa.evidence.all()),
        "follow_ups": list(capa.follow_ups.all()),
        "clocks": list(clocks_of(capa)),
        "history": list(
            capa.history.select_related("history_user").order_by("-history_date", "-history_id")[
                :20
            ]
        ),
        "can_edit": permissions.can_edit_capa(user, capa),
        "can_evidence": permissions.can_add_capa_evidence(user, capa),
        "can_plan": permissions.can_plan_check(user, capa)
        and (check is None or check.result == CheckResult.PENDING)
        and capa.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED),
        "can_verify": permissions.can_verify(user, capa)
        and check is not None
        and check.result == CheckResult.PENDING
        and capa.status == ActionStatus.IMPLEMENTED,
        "can_follow_up": permissions.can_create_capa(user)
        and capa.status == ActionStatus.IMPLEMENTED,
        "plan_form": CheckPlanForm(
            initial={"criterion": check.criterion, "method": check.method} if check else None
        ),
        "result_form": CheckResultForm(),
        "evidence_form": EvidenceForm(),
        "transition_form": TransitionForm(),
    }
    return render(request, "capa/capa_detail.html", context)


@login_required
@form_methods
def capa_edit(request, pk):
    capa = _visible_capa(request, pk)
    decision = permissions.can_edit_capa(request.user, capa)
    if not decision:
        return refused(request, decision.message)
    if request.method == "POST":
        form = CapaEditForm(request.POST, instance=capa)
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in form.changed_data if k != "version"}
            try:
                services.capa_update(
                    actor=request.user,
                    capa=capa,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
            else:
                messages.success(request, _("%s saved.") % capa.reference)
                return redirect(capa)
    else:
        form = CapaEditForm(instance=capa, initial={"version": version_of(capa)})
    return render(request, "capa/capa_edit.html", {"form": form, "capa": capa})


@login_required
@require_POST
def capa_transition(request, pk):
    capa = _visible_capa(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(capa)
    to = form.cleaned_data["to"]
    return _run(
        request,
        capa,
        lambda: services.capa_transition(
            actor=request.user, capa=capa, to=to, reason=form.cleaned_data["reason"]
        ),
        _("%(capa)s is now %(status)s.")
        % {"capa": capa.reference, "status": ActionStatus(to).label.lower()}
        if to in ActionStatus.values
        else "",
    )


@login_required
@require_POST
def check_plan(request, pk):
    capa = _visible_capa(request, pk)
    form = CheckPlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(capa)
    return _run(
        request,
        capa,
        lambda: services.effectiveness_check_plan(
            actor=request.user, capa=capa, **form.cleaned_data
        ),
        _("Effectiveness check planned."),
    )


@login_required
@require_POST
def check_result(request, pk):
    capa = _visible_capa(request, pk)
    form = CheckResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(capa)
    return _run(
        request,
        capa,
        lambda: services.effectiveness_check_record(
            actor=request.user,
            capa=capa,
            result=form.cleaned_data["result"],
            note=form.cleaned_data["note"],
        ),
        _("Effectiveness check result recorded."),
    )


@login_required
@require_POST
def evidence_add(request, pk):
    capa = _visible_capa(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(capa)
    return _run(
        request,
        capa,
        lambda: services.capa_evidence_add(
            actor=request.user,
            capa=capa,
            uploaded_file=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        ),
        _("Evidence preserved."),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def evidence_download(request, pk):
    evidence = (
        ActionEvidence.objects.filter(pk=pk, capa__in=selectors.capas_visible_to(request.user))
        .select_related("capa")
        .first()
    )
    if evidence is None:
        raise Http404(_("No such evidence, or you may not see it."))
    try:
        handle = services.capa_evidence_open(actor=request.user, evidence=evidence)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(evidence.capa)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.media_type,
    )


# --- the CAPA section of the incident page -----------------------------------------------------


def capa_section(request, incident) -> dict:
    user = request.user
    return {
        "capas": list(selectors.capas_of_incident(incident)),
        "in_doubt": list(selectors.capas_in_doubt_by(incident, user)),
        "no_capa": selectors.no_capa_decision_of(incident),
        "can_create": permissions.can_create_capa(user),
        "can_decide_no_capa": permissions.can_decide_no_capa(user, incident),
        "category_form": CategoryForm(),
        "no_capa_form": NoCapaForm(),
    }


@login_required
@require_POST
def no_capa_decide(request, pk):
    incident = incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    form = NoCapaForm(request.POST)
    back = f"{incident.get_absolute_url()}#capa"
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(back)
    return _run(
        request,
        back,
        lambda: services.no_capa_decide(
            actor=request.user, incident=incident, reason=form.cleaned_data["reason"]
        ),
        _("Recorded: no CAPA needed."),
    )


# --- findings -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def findings(request):
    user = request.user
    decision = permissions.can_read(user)
    if not decision:
        return refused(request, decision.message)
    filterset = FindingFilter(request.GET or None, queryset=selectors.findings_visible_to(user))
    page = DeferredJoinPaginator(
        filterset.qs.select_related("raised_by").order_by("-created_at", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "capa/findings.html",
        {
            "filterset": filterset,
            "page_obj": page,
            "findings": page.object_list,
            "can_create": permissions.can_manage_findings(user),
        },
    )


@login_required
@form_methods
def finding_create(request):
    user = request.user
    decision = permissions.can_manage_findings(user)
    if not decision:
        return refused(request, decision.message)
    form = FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(actor=user, data=form.cleaned_data)
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(request, _("%s recorded.") % finding.reference)
            return redirect(finding)
    return render(request, "capa/finding_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD"])
def finding_detail(request, pk):
    user = request.user
    finding = selectors.finding_page(user, pk)
    if finding is None:
        raise Http404(_("No such finding, or you may not see it."))
    moves = [
        m
        for m in workflow.FINDING_LIFECYCLE.moves_from(finding.status)
        if workflow.FINDING_LIFECYCLE.may(m, user, finding)
    ]
    return render(
        request,
        "capa/finding_detail.html",
        {
            "finding": finding,
            "actions": list(finding.actions.all()),
            "moves": moves,
            "can_raise": permissions.can_create_capa(user) and finding.status != "closed",
            "transition_form": TransitionForm(),
        },
    )


@login_required
@require_POST
def finding_transition(request, pk):
    finding = selectors.finding_page(request.user, pk)
    if finding is None:
        raise Http404(_("No such finding, or you may not see it."))
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(finding)
    return _run(
        request,
        finding,
        lambda: services.finding_transition(
            actor=request.user,
            finding=finding,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
        ),
        _("%s updated.") % finding.reference,
    )
