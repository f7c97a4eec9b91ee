"""HTML side of the risk module: the register, the risk page, the methodology, the Statement of
Applicability and the evidence map. Every write is one call to ``risk.services``; a refusal
shows the rule's own words."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aims.clocks.selectors import describe as describe_clock
from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.listing import sort_columns
from aims.core.pagination import DeferredJoinPaginator
from incidents.views.common import form_errors_text, refused

from . import charts, evidence, incident_links, permissions, selectors, services
from .choices import RiskStatus
from .filters import RiskFilter
from .forms import (
    EvidenceLinkForm,
    IncidentRiskLinkForm,
    IncidentRiskRaiseForm,
    IncidentRiskRerateForm,
    MethodologyDraftForm,
    ReviewForm,
    RiskForm,
    StatementForm,
    TransitionForm,
)
from .models import Control, EvidenceLink, RiskMethodology
from .workflow import LIFECYCLE

PAGE_SIZE = 25
SORTABLE = {
    "reference": gettext_lazy("Reference"),
    "title": gettext_lazy("Title"),
    "status": gettext_lazy("Status"),
    "inherent": gettext_lazy("Inherent"),
    "residual": gettext_lazy("Residual"),
    "review": gettext_lazy("Next review"),
}
DEFAULT_ORDERING = "reference"
FILTER_SELECTS = [
    "state",
    "status",
    "category",
    "treatment",
    "inherent_band",
    "residual_band",
    "tag",
    "system",
    "control",
]
form_methods = require_http_methods(["GET", "POST"])


def _filter_controls(filterset, params) -> list[dict]:
    controls = []
    for name in FILTER_SELECTS:
        field = filterset.form.fields[name]
        chosen = set(params.getlist(name))
        controls.append(
            {
                "name": name,
                "label": field.label,
                "options": [
                    (str(value), label, str(value) in chosen)
                    for value, label in field.choices
                    if str(value) != ""
                ],
            }
        )
    return controls


def _gate(rule):
    """Refuse, before any record is looked up, whoever the rule refuses (as the API does)."""

    def wrap(view):
        def checked(request, *args, **kwargs):
            decision = rule(request.user)
            if not decision:
                return refused(request, decision.message)
            return view(request, *args, **kwargs)

        checked.__name__ = view.__name__
        checked.__doc__ = view.__doc__
        return checked

    return wrap


def _visible_risk(request, pk):
    risk = selectors.risk_detail(request.user, pk)
    if risk is None:
        raise Http404(_("No such risk, or you may not see it."))
    return risk


def _run(request, perform, success, back):
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
    """The register: filters in the URL, sort, page, and the heat maps of what is filtered."""
    user = request.user
    decision = permissions.can_read_register(user)
    if not decision:
        return refused(request, decision.message)
    params = request.GET
    filterset = RiskFilter(params or None, queryset=selectors.register(user))
    risks = filterset.qs
    ordering = list(risks.query.order_by)
    if not ordering:
        risks = risks.order_by("reference", "id")
    page = DeferredJoinPaginator(selectors.with_lists(risks), PAGE_SIZE).get_page(
        params.get("page")
    )
    methodology = selectors.methodology_in_force()
    method = methodology.method
    filtered = any(
        any(values) for name, values in params.lists() if name not in ("page", "ordering")
    )
    context = {
        "filterset": filterset,
        "page_obj": page,
        "risks": page.object_list,
        "columns": sort_columns(SORTABLE, params.get("ordering", ""), DEFAULT_ORDERING),
        "ordering": params.get("ordering", ""),
        "controls": _filter_controls(filterset, params),
        "filtered": filtered,
        "methodology": methodology,
        "inherent_map": charts.heat_map_svg(
            method, selectors.heat_counts(risks, "inherent"), title=_("Inherent risk")
        ),
        "residual_map": charts.heat_map_svg(
            method, selectors.heat_counts(risks, "residual"), title=_("Residual risk")
        ),
        "can_edit": permissions.can_edit_register(user),
        "can_export": permissions.can_export_register(user),
        "export_params": [
            (name, value)
            for name, values in params.lists()
            if name not in ("page", "ordering")
            for value in values
            if value
        ],
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "risk/register.html#results", context)
    return render(request, "risk/register.html", context)


@login_required
@form_methods
def risk_create(request):
    decision = permissions.can_edit_register(request.user)
    if not decision:
        return refused(request, decision.message)
    form = RiskForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            risk = services.risk_create(actor=request.user, data=form.data_for_service())
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(ref)s is in the register.") % {"ref": risk.reference})
            return redirect(risk.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, form_errors_text(form))
    return render(request, "risk/risk_form.html", {"form": form, "risk": None})


@login_required
@form_methods
@_gate(permissions.can_edit_register)
def risk_edit(request, pk):
    risk = _visible_risk(request, pk)
    form = RiskForm(
        request.POST or None, initial={**RiskForm.initial_for(risk), "version": version_of(risk)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.risk_update(
                actor=request.user,
                risk=risk,
                data=form.data_for_service(),
                expected_version=form.cleaned_data.get("version") or None,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(ref)s saved.") % {"ref": risk.reference})
            return redirect(risk.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, form_errors_text(form))
    return render(request, "risk/risk_form.html", {"form": form, "risk": risk})


@login_required
@require_http_methods(["GET", "HEAD"])
@_gate(permissions.can_read_register)
def risk_detail(request, pk):
    risk = _visible_risk(request, pk)
    user = request.user
    in_force = selectors.methodology_in_force()
    scored_under = risk.methodology
    method = scored_under.method

    def marked(which):
        likelihood = getattr(risk, f"{which}_likelihood")
        impact = getattr(risk, f"{which}_impact")
        return (likelihood, impact) if likelihood and impact else None

    moves = []
    for move in LIFECYCLE.moves_from(risk.status):
        if LIFECYCLE.may(move, user, risk):
            moves.append(
                {
                    "move": move,
                    "form": TransitionForm(
                        initial={"to": move.target}, auto_id=f"move-{move.target}-%s"
                    ),
                }
            )
    may_edit = bool(permissions.can_edit_register(user, risk))
    context = {
        "risk": risk,
        "in_force": in_force,
        "needs_reassessment": scored_under.pk != in_force.pk,
        "above_threshold": risk.residual_score is not None
        and risk.residual_score > method.acceptance_threshold,
        "inherent_map": charts.heat_map_svg(
            method, title=_("Inherent risk"), marked=marked("inherent")
        ),
        "residual_map": charts.heat_map_svg(
            method, title=_("Residual risk"), marked=marked("residual")
        ),
        "entries": selectors.entries_of(risk),
        "acceptances": selectors.acceptances_of(risk),
        "incident_links": selectors.risk_incident_links(risk, user),
        "clocks": [describe_clock(c) for c in clocks_of(risk)],
        "tags": _tag_labels(risk.tags),
        "moves": moves,
        "may_edit": may_edit and risk.status != RiskStatus.CLOSED,
        "review_form": ReviewForm(auto_id="review-%s")
        if may_edit and risk.status != RiskStatus.CLOSED
        else None,
    }
    return render(request, "risk/risk_detail.html", context)


def _tag_labels(codes) -> list[str]:
    if not codes:
        return []
    labels = selectors.tag_labels()
    return [labels.get(code, code) for code in codes]


@login_required
@require_POST
@_gate(permissions.can_read_register)
def risk_transition(request, pk):
    risk = _visible_risk(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(risk.get_absolute_url())
    return _run(
        request,
        lambda: services.risk_transition(
            actor=request.user,
            risk=risk,
            to=form.cleaned_data["to"],
            reason=form.cleaned_data["reason"],
        ),
        _("%(ref)s is now %(to)s.") % {"ref": risk.reference, "to": form.cleaned_data["to"]},
        risk.get_absolute_url(),
    )


@login_required
@require_POST
@_gate(permissions.can_edit_register)
def risk_review(request, pk):
    risk = _visible_risk(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(risk.get_absolute_url())
    return _run(
        request,
        lambda: services.risk_review(
            actor=request.user,
            risk=risk,
            next_review_date=form.cleaned_data["next_review_date"],
            note=form.cleaned_data["note"],
        ),
        _("Review recorded."),
        risk.get_absolute_url(),
    )


# --- methodology ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def methodology_list(request):
    decision = permissions.can_read_methodology(request.user)
    if not decision:
        return refused(request, decision.message)
    return render(
        request,
        "risk/methodology_list.html",
        {
            "versions": selectors.methodologies(),
            "can_draft": permissions.can_draft_methodology(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def methodology_detail(request, pk):
    decision = permissions.can_read_methodology(request.user)
    if not decision:
        return refused(request, decision.message)
    methodology = selectors.methodologies().filter(pk=pk).first()
    if methodology is None:
        raise Http404(_("No such methodology version."))
    return render(
        request,
        "risk/methodology_detail.html",
        {
            "m": methodology,
            "matrix": charts.heat_map_svg(
                methodology.method, title=_("Risk matrix, version %s") % methodology.version
            ),
            "can_approve": methodology.status == "draft"
            and permissions.can_approve_methodology(request.user, methodology),
        },
    )


@login_required
@form_methods
def methodology_draft(request):
    decision = permissions.can_draft_methodology(request.user)
    if not decision:
        return refused(request, decision.message)
    current = selectors.methodology_in_force()
    initial = {name: getattr(current, name) for name in services.METHODOLOGY_FIELDS}
    form = MethodologyDraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.methodology_draft(actor=request.user, data=form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Draft version %s saved.") % draft.version)
            return redirect(draft.get_absolute_url())
    elif request.method == "POST":
        messages.error(request, form_errors_text(form))
    return render(request, "risk/methodology_form.html", {"form": form, "current": current})


@login_required
@require_POST
@_gate(permissions.can_approve_methodology)
def methodology_approve(request, pk):
    methodology = RiskMethodology.objects.filter(pk=pk).first()
    if methodology is None:
        raise Http404(_("No such methodology version."))
    return _run(
        request,
        lambda: services.methodology_approve(actor=request.user, methodology=methodology),
        _(
            "Version %s is in force. Risks scored under an older version are flagged for "
            "re-assessment; their scores are unchanged."
        )
        % methodology.version,
        methodology.get_absolute_url(),
    )


# --- the Statement of Applicability and the evidence map --------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def soa(request):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    return render(
        request,
        "risk/soa.html",
        {"controls": selectors.controls(), "can_download": True},
    )


def _control(pk) -> Control:
    control = selectors.control_detail(pk)
    if control is None:
        raise Http404(_("No such control."))
    return control


def _evidence_rows(user, control):
    rows = []
    for link in selectors.evidence_of(control):
        registered = evidence.kind_for_model(link.target_type.model_class())
        rows.append(
            {"link": link, "kind": registered.key if registered else link.target_type.model}
        )
    return rows


@login_required
@require_http_methods(["GET", "HEAD"])
def control_detail(request, pk):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    control = _control(pk)
    statement = control.statement
    may_edit = bool(permissions.can_edit_soa(request.user, statement))
    context = {
        "control": control,
        "statement": statement,
        "evidence": _evidence_rows(request.user, control),
        "risks": selectors.risks_applying(control),
        "form": StatementForm(
            initial={
                "applicability": statement.applicability,
                "justification": statement.justification,
                "implementation_status": statement.implementation_status,
                "owner": statement.owner_id,
                "notes": statement.notes,
                "version": version_of(statement),
            }
        )
        if may_edit
        else None,
        "link_form": EvidenceLinkForm(kinds=evidence.keys(), auto_id="link-%s")
        if permissions.can_link_evidence(request.user, control)
        else None,
    }
    return render(request, "risk/control_detail.html", context)


@login_required
@require_POST
@_gate(permissions.can_edit_soa)
def control_update(request, pk):
    control = _control(pk)
    form = StatementForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(control.get_absolute_url())
    data = dict(form.cleaned_data)
    version = data.pop("version", "") or None
    return _run(
        request,
        lambda: services.statement_update(
            actor=request.user, control=control, data=data, expected_version=version
        ),
        _("The Statement of Applicability entry of %s is saved.") % control.code,
        control.get_absolute_url(),
    )


@login_required
@require_POST
@_gate(permissions.can_link_evidence)
def evidence_add(request, pk):
    control = _control(pk)
    form = EvidenceLinkForm(request.POST, kinds=evidence.keys())
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(control.get_absolute_url())
    kind = form.cleaned_data["kind"]
    registered = evidence.kind(kind)
    record = registered.model._default_manager.filter(
        reference__iexact=form.cleaned_data["reference"].strip()
    ).first()
    return _run(
        request,
        lambda: services.evidence_link(
            actor=request.user,
            control=control,
            kind=kind,
            target_id=record.pk if record else 0,
            note=form.cleaned_data["note"],
        ),
        _("Evidence linked to %s.") % control.code,
        control.get_absolute_url(),
    )


@login_required
@require_POST
@_gate(permissions.can_link_evidence)
def evidence_remove(request, pk, link_pk):
    control = _control(pk)
    link = EvidenceLink.objects.filter(pk=link_pk, control=control).first()
    if link is None:
        raise Http404(_("No such evidence link."))
    return _run(
        request,
        lambda: services.evidence_unlink(actor=request.user, link=link),
        _("Evidence link removed."),
        control.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def evidence_map(request):
    decision = permissions.can_read_soa(request.user)
    if not decision:
        return refused(request, decision.message)
    rows = selectors.evidence_map()
    return render(
        request,
        "risk/evidence_map.html",
        {
            "rows": rows,
            "gaps": [r for r in rows if r["gap"]],
            "since": timezone.localdate() - selectors.EVIDENCE_WINDOW,
        },
    )


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
    return _run(request, lambda: perform(incident, form.cleaned_data), success, back)


def _need_risk(user, reference):
    risk = _risk_by_reference(user, reference)
    if risk is None:
        raise ValidationFailed(_("No risk %(ref)s that you can see.") % {"ref": reference})
    return risk


@login_required
@require_POST
@_gate(permissions.can_link_incident)
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
@_gate(permissions.can_link_incident)
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
@_gate(permissions.can_link_incident)
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
