"""A system's evidence trail and the consistency check of the inventory (``risk.trail``)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .. import trail
from ..permissions import can_read_trail
from .common import gate


class ConsistencyFilterForm(forms.Form):
    """The consistency check's filters: a gap kind, a system (of those the person may see)."""

    kind = forms.ChoiceField(label=gettext_lazy("Gap kind"), required=False)
    system = forms.TypedChoiceField(
        label=gettext_lazy("AI system"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, systems=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Any")), *trail.gap_kinds()]
        self.fields["system"].choices = [("", _("Any"))] + [
            (s.pk, f"{s.reference} {s.name}") for s in systems
        ]


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(can_read_trail)
def system_trail(request, pk):
    system = trail.trail_system(request.user, pk)
    if system is None:
        raise Http404(_("No such AI system, or you may not read its trail."))
    context = trail.system_trail(request.user, system)
    return render(request, "risk/trail_system.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
@gate(can_read_trail)
def consistency(request):
    systems = list(trail.trail_systems_visible_to(request.user).order_by("reference"))
    form = ConsistencyFilterForm(request.GET or None, systems=systems)
    status = 200
    kind = system_id = None
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"] or None
        system_id = form.cleaned_data["system"]
    elif form.is_bound:
        status = 400
    chosen = [s for s in systems if s.pk == system_id] if system_id else systems
    scope = trail.scope_for(request.user, chosen)
    gaps = trail.find_gaps(scope, codes=[kind] if kind else None) if status == 200 else []
    counts = {code: 0 for code, _label in trail.gap_kinds()}
    for gap in gaps:
        counts[gap.code] = counts.get(gap.code, 0) + 1
    context = {
        "form": form,
        "gaps": gaps,
        "kinds": [(code, label, counts.get(code, 0)) for code, label in trail.gap_kinds()],
        "systems_checked": len(chosen),
        "filtered": bool(kind or system_id),
    }
    return render(request, "risk/trail_consistency.html", context, status=status)
