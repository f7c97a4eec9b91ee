"""The risk methodology pages: the versions, one version, a draft, its approval."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from aims.core.exceptions import ApplicationError
from incidents.views.common import form_errors_text, refused

from .. import charts, permissions, selectors, services
from ..forms import (
    MethodologyDraftForm,
)
from ..models import RiskMethodology
from .common import form_methods, gate, run_action

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
@gate(permissions.can_approve_methodology)
def methodology_approve(request, pk):
    methodology = RiskMethodology.objects.filter(pk=pk).first()
    if methodology is None:
        raise Http404(_("No such methodology version."))
    return run_action(
        request,
        lambda: services.methodology_approve(actor=request.user, methodology=methodology),
        _(
            "Version %s is in force. Risks scored under an older version are flagged for "
            "re-assessment; their scores are unchanged."
        )
        % methodology.version,
        methodology.get_absolute_url(),
    )
