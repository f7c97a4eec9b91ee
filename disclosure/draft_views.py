"""Editing a draft communication's text from the incident page: a report draft is pre-filled
from the record with its gaps marked, and completed here before legal approves it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.views.common import form_errors_text, refused

from . import permissions, selectors, services
from .forms import CommunicationEditForm


def edit_form_for(communication) -> CommunicationEditForm:
    """The edit form of a draft as the incident page shows it (with its version)."""
    return CommunicationEditForm(
        auto_id=f"edit-{communication.pk}-%s",
        initial={
            "subject": communication.subject,
            "channel": communication.channel,
            "content": communication.content,
            "version": version_of(communication),
        },
    )


@login_required
@require_POST
def communication_edit(request, pk):
    # Asked before the communication is looked up or the form read, as the API does: a role
    # that may not communicate is told so (403) whichever communication it names.
    if not (decision := permissions.can_communicate(request.user)):
        return refused(request, decision.message)
    communication = selectors.communications_visible_to(request.user).filter(pk=pk).first()
    if communication is None:
        raise Http404(_("No such communication, or you may not see it."))
    back = redirect(f"{communication.incident.get_absolute_url()}#communications")
    form = CommunicationEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return back
    data = dict(form.cleaned_data)
    version = data.pop("version") or None
    try:
        services.communication_edit(
            actor=request.user, communication=communication, data=data, expected_version=version
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return back
    messages.success(request, _("The draft's text was saved."))
    return back
