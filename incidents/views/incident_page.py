"""The incident page: header, timeline, checklist, clocks, and the actions this person may take."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aims.clocks.selectors import describe as describe_clock
from aims.clocks.services import clocks_of

from .. import permissions, selectors, workflow
from ..choices import ApprovalSubject, HarmFlag, IncidentType, Status
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
from ..sections import rendered_sections
from .common import EVIDENCE_DOWNLOAD_PATH, _facts_suggestion

# --- the incident page ---------------------------------------------------------------------


def _forms_for(request, incident, bound=None) -> dict:
    """The action forms the user may use on this incident, each with its own id prefix."""
    user = request.user
    bound = bound or {}
    is_open = incident.is_open
    forms = {}

    def offer(name, decision, factory):
        if decision:
            forms[name] = bound.get(name) or factory(f"{name}-%s")

    # Each form is offered where the rule its service enforces allows it (incidents.permissions).
    offer(
        "severity",
        permissions.can_change_severity(user, incident),
        lambda a: SeverityForm(auto_id=a),
    )
    offer("note", permissions.can_add_note(user, incident), lambda a: NoteForm(auto_id=a))
    offer(
        "evidence", permissions.can_add_evidence(user, incident), lambda a: EvidenceForm(auto_id=a)
    )
    offer("lead", permissions.can_assign_lead(user, incident), lambda a: LeadForm(auto_id=a))
    offer(
        "participant",
        permissions.can_add_participant(user, incident),
        lambda a: ParticipantForm(auto_id=a),
    )
    offer(
        "system",
        permissions.can_add_system(user, incident),
        lambda a: AffectedSystemForm(auto_id=a, user=user, incident=incident),
    )
    offer(
        "containment",
        is_open and permissions.can_decide_containment(user, incident),
        lambda a: ContainmentForm(auto_id=a, incident=incident),
    )
    offer(
        "waiver",
        is_open
        and permissions.can_approve_waiver(user, incident)
        and not any(a.subject == ApprovalSubject.EVIDENCE_WAIVER for a in incident.approvals.all()),
        lambda a: WaiverForm(auto_id=a),
    )
    offer(
        "notification",
        permissions.can_record_notification(user, incident),
        lambda a: NotificationForm(auto_id=a),
    )
    return forms


def _moves(request, incident) -> list[dict]:
    """Each move the lifecycle allows from here, what it still needs, and its form."""
    moves = []
    for move in workflow.moves_from(incident.status):
        form = None
        if workflow.LIFECYCLE.may(move, request.user, incident):
            form = TransitionForm(auto_id=f"move-{move.target}-%s", initial={"to": move.target})
            form.fields["reason"].required = move.needs_reason
            if move.reason_hint:
                form.fields["reason"].help_text = move.reason_hint
        moves.append(
            {
                "move": move,
                "target_label": Status(move.target).label,
                "blocked_by": workflow.failing_guards(move, incident),
                "form": form,
            }
        )
    return moves


def _labels(choices, values) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(value, value)) for value in values]


def _detail_context(request, incident, bound=None) -> dict:
    user = request.user
    evidence = list(incident.evidence.all())
    for item in evidence:
        item.download_url = EVIDENCE_DOWNLOAD_PATH.format(pk=item.pk)
    changes = selectors.recent_changes(incident)
    affected = [(a, changes.get(a.system_id, [])) for a in incident.affected_systems.all()]
    approvals = list(incident.approvals.all())
    rollbacks = list(incident.registry_rollbacks.all())
    return {
        "incident": incident,
        "clocks": [describe_clock(c) for c in clocks_of(incident)],
        "type_labels": _labels(IncidentType, incident.types),
        "harm_labels": _labels(HarmFlag, incident.harm_flags),
        "timeline": list(selectors.timeline(incident)),
        "checklist": selectors.checklist(incident),
        "moves": _moves(request, incident),
        "evidence": evidence,
        "affected": affected,
        "decisions": list(incident.containment_decisions.all()),
        "registry_rollbacks": rollbacks,
        "registry_rollbacks_pending": any(r.pending for r in rollbacks),
        "can_decide_containment": permissions.can_decide_containment(user, incident),
        "approvals": approvals,
        "participants": list(incident.participants.all()),
        "suggestion": _facts_suggestion(incident),
        "preserve_first": workflow.guard_preserve_first(incident, ""),
        "forms": _forms_for(request, incident, bound),
        "sections": rendered_sections(request, incident),
        "can_manage": permissions.can_manage_incident(user, incident),
        "max_upload": settings.EVIDENCE_MAX_BYTES,
    }


def _render_page(request, incident, *, bound=None, status=200):
    return render(
        request,
        "incidents/incident_detail.html",
        _detail_context(request, incident, bound),
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def incident_detail(request, pk):
    """One incident: header over the timeline (left) and what the next step needs (right)."""
    incident = selectors.incident_page(request.user, pk)
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return _render_page(request, incident)
