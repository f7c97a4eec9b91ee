"""The risk register pages: the register with its filters and heat maps, a risk, its edits,
its moves and reviews.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aims.clocks.selectors import describe as describe_clock
from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError
from aims.core.listing import sort_columns
from aims.core.pagination import DeferredJoinPaginator
from incidents.views.common import form_errors_text, refused

from .. import charts, permissions, selectors, services
from ..choices import RiskStatus
from ..filters import RiskFilter
from ..forms import (
    ReviewForm,
    RiskForm,
    TransitionForm,
)
from ..workflow import LIFECYCLE
from .common import form_methods, gate, run_action, visible_risk

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
@gate(permissions.can_edit_register)
def risk_edit(request, pk):
    risk = visible_risk(request, pk)
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
@gate(permissions.can_read_register)
def risk_detail(request, pk):
    risk = visible_risk(request, pk)
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
@gate(permissions.can_read_register)
def risk_transition(request, pk):
    risk = visible_risk(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(risk.get_absolute_url())
    return run_action(
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
@gate(permissions.can_edit_register)
def risk_review(request, pk):
    risk = visible_risk(request, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(risk.get_absolute_url())
    return run_action(
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
