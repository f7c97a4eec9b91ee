"""HTML side of an AI system's disclosure facts: a section of the system's page (registered
with ``inventory.sections``; the inventory knows nothing of disclosure) and the form that edits
them. Who may edit them is who edits the system's regulatory flags; the write is
``services.system_facts_update``, which re-assesses the open incidents on the system."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.views import show_service_error
from incidents.views.common import refused

from . import permissions, selectors, services
from .forms import SystemFactsForm


def system_section(request, system) -> dict:
    """The disclosure facts the inventory does not hold, when they last changed and by whom
    (their history), and the edit link for who edits the system's regulatory flags."""
    facts = selectors.system_facts_of(system)
    return {
        "facts": facts,
        "flags": [
            (facts._meta.get_field(name).verbose_name, getattr(facts, name))
            for name in SystemFactsForm.Meta.fields
        ],
        "can_edit": bool(permissions.can_edit_system_facts(request.user, system)),
    }


def _visible_system(request, pk):
    from inventory.selectors import systems_visible_to

    return get_object_or_404(systems_visible_to(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def system_facts_edit(request, pk):
    """Edit a system's disclosure facts; the open incidents on it are re-assessed and a
    signed-off assessment reopens, saying which facts changed."""
    if not (decision := permissions.can_read_regimes(request.user)):
        return refused(request, decision.message)
    system = _visible_system(request, pk)
    if not (decision := permissions.can_edit_system_facts(request.user, system)):
        return refused(request, decision.message)
    facts = selectors.system_facts_of(system)
    if request.method == "POST":
        form = SystemFactsForm(request.POST, instance=facts)
        if form.is_valid():
            try:
                services.system_facts_update(
                    actor=request.user,
                    system=system,
                    data=form.service_data(),
                    expected_version=form.cleaned_data["version"] or None,
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "The disclosure facts of %(system)s were saved; the assessments of its "
                        "open incidents follow them."
                    )
                    % {"system": system.reference},
                )
                return redirect(f"{system.get_absolute_url()}#disclosure-facts")
    else:
        form = SystemFactsForm(instance=facts, initial={"version": version_of(facts)})
    return render(
        request,
        "inventory/record_form.html",
        {
            "system": system,
            "form": form,
            "title": _("Disclosure facts"),
            "submit_label": _("Save facts"),
            "intro": _(
                "The facts the disclosure rules need that the inventory record does not hold. "
                "A change re-assesses the open incidents on this system; a signed-off "
                "assessment reopens."
            ),
        },
    )
