"""Actions on the incident page: each calls one service and goes back to the page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.views import show_service_error

from .. import permissions, selectors, services
from ..forms import (
    AffectedSystemForm,
    ContainmentForm,
    EvidenceForm,
    LeadForm,
    NoteForm,
    NotificationForm,
    ParticipantForm,
    SeverityForm,
    TransitionForm,
    WaiverForm,
)
from .common import _int_or_none, _visible_incident, form_errors_text, refused

# --- actions on the incident page -----------------------------------------------------------
# Each calls one service and goes back to the page with a message. Under htmx a refusal
# answers with its status (409 for a failing guard) and the message as a fragment.


def _wants_fragment(request) -> bool:
    """htmx or another script asked: answer with a status and a fragment, not a redirect."""
    return bool(request.htmx) or request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _back_to_page(request, incident):
    url = incident.get_absolute_url()
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _action_refused(request, incident, message, status):
    if _wants_fragment(request):
        html = render_to_string(
            "incidents/_action_error.html", {"message": message}, request=request
        )
        return HttpResponse(html, status=status)
    messages.error(request, message)
    return redirect(incident)


def _act(request, pk, build_form, perform):
    """Validate ``build_form(incident)``, run ``perform(incident, cleaned_data)`` (one service
    call returning the success message) and go back to the page."""
    incident = _visible_incident(request, pk)
    form = build_form(incident)
    if not form.is_valid():
        return _action_refused(request, incident, form_errors_text(form), 400)
    try:
        message = perform(incident, form.cleaned_data)
    except PermissionRefused as exc:
        if _wants_fragment(request):
            return _action_refused(request, incident, exc.message, exc.status_code)
        return refused(request, exc.message)
    except ApplicationError as exc:
        return _action_refused(request, incident, exc.message, exc.status_code)
    messages.success(request, message)
    return _back_to_page(request, incident)


@login_required
@require_POST
def incident_transition(request, pk):
    def perform(incident, data):
        moved = services.incident_transition(
            actor=request.user, incident=incident, to=data["to"], reason=data["reason"]
        )
        return _("%(ref)s is now %(status)s.") % {
            "ref": moved.reference,
            "status": moved.get_status_display(),
        }

    return _act(request, pk, lambda incident: TransitionForm(request.POST), perform)


@login_required
@require_POST
def incident_severity(request, pk):
    def perform(incident, data):
        changed = services.incident_set_severity(
            actor=request.user, incident=incident, severity=data["severity"], reason=data["reason"]
        )
        return _("Severity set to %(severity)s.") % {"severity": changed.get_severity_display()}

    return _act(request, pk, lambda incident: SeverityForm(request.POST), perform)


@login_required
@require_POST
def incident_note(request, pk):
    """Add a note. Under htmx the timeline section is answered, the new note at its end."""
    if not request.htmx:

        def perform(incident, data):
            services.note_add(actor=request.user, incident=incident, body=data["body"])
            return _("The note was added to the timeline.")

        return _act(request, pk, lambda incident: NoteForm(request.POST), perform)

    incident = _visible_incident(request, pk)
    form = NoteForm(request.POST, auto_id="note-%s")
    status = 200
    if form.is_valid():
        try:
            services.note_add(actor=request.user, incident=incident, body=form.cleaned_data["body"])
        except ApplicationError as exc:
            show_service_error(form, exc)
            status = exc.status_code
        else:
            form = NoteForm(auto_id="note-%s")
    else:
        status = 400
    context = {
        "incident": incident,
        "timeline": list(selectors.timeline(incident)),
        "forms": {"note": form} if permissions.can_contribute(request.user, incident) else {},
    }
    return render(request, "incidents/incident_detail.html#timeline", context, status=status)


@login_required
@require_POST
def incident_lead(request, pk):
    def perform(incident, data):
        services.incident_assign_lead(actor=request.user, incident=incident, lead=data["lead"])
        return _("%(user)s now leads the incident.") % {"user": data["lead"]}

    return _act(request, pk, lambda incident: LeadForm(request.POST), perform)


@login_required
@require_POST
def incident_participant(request, pk):
    def perform(incident, data):
        participant = services.participant_add(
            actor=request.user, incident=incident, user=data["user"], part=data["part"]
        )
        return _("%(user)s joined as %(part)s.") % {
            "user": participant.user,
            "part": participant.get_part_display(),
        }

    return _act(request, pk, lambda incident: ParticipantForm(request.POST), perform)


@login_required
@require_POST
def incident_system(request, pk):
    def perform(incident, data):
        affected = services.incident_add_system(
            actor=request.user, incident=incident, system=data["system"]
        )
        version = (
            affected.model_version.version_label
            if affected.model_version_id
            else _("no version in production at detection")
        )
        return _("%(system)s was added (%(version)s).") % {
            "system": affected.system.reference,
            "version": version,
        }

    return _act(
        request,
        pk,
        lambda incident: AffectedSystemForm(request.POST, user=request.user, incident=incident),
        perform,
    )


@login_required
@require_POST
def incident_containment(request, pk):
    def perform(incident, data):
        decision = services.containment_decide(
            actor=request.user,
            incident=incident,
            option=data["option"],
            rationale=data["rationale"],
            fallback_version=data["fallback_version"],
            move_registry_alias=data.get("move_registry_alias", False),
        )
        if data.get("move_registry_alias"):
            return _(
                "Containment decision recorded: %(option)s. The production alias is being moved "
                "in MLflow; this page shows when it is verified."
            ) % {"option": decision.get_option_display()}
        return _("Containment decision recorded: %(option)s.") % {
            "option": decision.get_option_display()
        }

    return _act(
        request, pk, lambda incident: ContainmentForm(request.POST, incident=incident), perform
    )


@login_required
@require_POST
def incident_waiver(request, pk):
    def perform(incident, data):
        services.evidence_waiver_approve(
            actor=request.user, incident=incident, reason=data["reason"]
        )
        return _("The waiver of 'preserve evidence first' is approved.")

    return _act(request, pk, lambda incident: WaiverForm(request.POST), perform)


@login_required
@require_POST
def incident_notification(request, pk):
    def perform(incident, data):
        services.notification_record(
            actor=request.user,
            incident=incident,
            recipients=data["recipients"],
            channel=data["channel"],
            summary=data["summary"],
            leadership=data["leadership"],
        )
        return _("The notification was recorded on the timeline.")

    return _act(request, pk, lambda incident: NotificationForm(request.POST), perform)


def _too_large_message(length: int) -> str:
    return _(
        "The upload is %(size)s; evidence files are limited to %(limit)s. "
        "Split or compress the file and upload again."
    ) % {
        "size": filesizeformat(length),
        "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
    }


@login_required
@require_POST
def evidence_add(request, pk):
    """Preserve an evidence file: hashed, typed from its content, stored once."""
    length = _int_or_none(request.META.get("CONTENT_LENGTH")) or 0
    # The multipart envelope adds a little to the file; anything this far over cannot fit.
    if length > settings.EVIDENCE_MAX_BYTES + 64 * 1024:
        incident = _visible_incident(request, pk)
        return _action_refused(request, incident, _too_large_message(length), 413)

    def perform(incident, data):
        evidence = services.evidence_add(
            actor=request.user,
            incident=incident,
            uploaded_file=data["file"],
            kind=data["kind"],
            description=data["description"],
            period_start=data["period_start"],
            period_end=data["period_end"],
        )
        return _("%(name)s was preserved (SHA-256 %(hash)s…).") % {
            "name": evidence.original_name,
            "hash": evidence.sha256[:16],
        }

    return _act(request, pk, lambda incident: EvidenceForm(request.POST, request.FILES), perform)


@login_required
def incident_registry_rollbacks(request, pk):
    """The incident's rollbacks in the model registry, as the fragment the incident page polls
    while one is pending."""
    incident = _visible_incident(request, pk)
    rollbacks = list(
        incident.registry_rollbacks.select_related(
            "to_version", "from_version", "deployment"
        ).order_by("created_at", "id")
    )
    return render(
        request,
        "incidents/_registry_rollbacks.html",
        {
            "incident": incident,
            "registry_rollbacks": rollbacks,
            "registry_rollbacks_pending": any(r.pending for r in rollbacks),
            "can_decide_containment": permissions.can_decide_containment(request.user, incident),
        },
    )


@login_required
@require_POST
def incident_registry_rollback_retry(request, pk):
    """Ask again for the incident's latest rollback in the registry, when it failed."""
    incident = _visible_incident(request, pk)
    try:
        services.registry_rollback_retry(actor=request.user, incident=incident)
    except PermissionRefused as exc:
        if _wants_fragment(request):
            return _action_refused(request, incident, exc.message, exc.status_code)
        return refused(request, exc.message)
    except ApplicationError as exc:
        return _action_refused(request, incident, exc.message, exc.status_code)
    messages.success(request, _("The rollback in MLflow is asked again."))
    return _back_to_page(request, incident)
