"""HTML pages of the incident register, mounted at ``/incidents/``.

Thin on purpose: reads start from ``incidents.selectors`` (so the access rule lives in one
place), every write is one call to ``incidents.services`` (which re-check permission, validate,
enforce the lifecycle's guards and write the timeline), and a service's refusal is shown to the
person in the words the API would use. ``incidents.permissions`` only decides which forms to
offer.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from aims.clocks.selectors import describe as describe_clock
from aims.clocks.services import clocks_of
from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.listing import sort_columns
from aims.core.views import show_service_error

from . import permissions, rules, selectors, services, workflow
from .choices import ApprovalSubject, HarmFlag, IncidentType, Status
from .filters import IncidentFilter
from .forms import (
    AffectedSystemForm,
    ContainmentForm,
    EvidenceForm,
    IncidentCreateForm,
    IncidentEditForm,
    LeadForm,
    NoteForm,
    NotificationForm,
    ParticipantForm,
    SeverityForm,
    TransitionForm,
    WaiverForm,
    end_of_day,
)

PAGE_SIZE = 25
# The API's paths (built by the API module; the browser's session authenticates there).
EXPORT_PATH = "/reports/exports/new/"
EVIDENCE_DOWNLOAD_PATH = "/api/v1/evidence/{pk}/download/"

NO_ROLE = gettext_lazy("Your account has no role in AIMS Register; ask GRC staff to assign one.")

# (ordering key of IncidentFilter, column label); the register is newest first by default.
SORTABLE = {
    "reference": gettext_lazy("Reference"),
    "title": gettext_lazy("Title"),
    "severity": gettext_lazy("Severity"),
    "status": gettext_lazy("Status"),
    "detected": gettext_lazy("Detected"),
}
DEFAULT_ORDERING = "-detected"
# Filters offered as one select each in the filter bar, in this order.
FILTER_SELECTS = ["state", "status", "severity", "kind", "type", "system", "detection_source"]
DATE_FILTERS = ["detected_after", "detected_before"]

form_methods = require_http_methods(["GET", "POST"])


# --- helpers ------------------------------------------------------------------------------


def refused(request, message):
    """403 with the reason, in the layout, so the person knows what to ask for."""
    return render(request, "incidents/refused.html", {"message": message}, status=403)


def form_errors_text(form) -> str:
    """A form's errors as one sentence for a message: "Reason: This field is required." """
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(e) for e in errors)
        if name == "__all__" or name not in form.fields:
            parts.append(text)
        else:
            parts.append(f"{form.fields[name].label}: {text}")
    return " ".join(parts)


def _visible_incident(request, pk):
    """The incident if the user may see it; 404 otherwise (its existence is not revealed)."""
    incident = selectors.incidents_visible_to(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404(_("No such incident, or you may not see it."))
    return incident


def _facts_suggestion(incident) -> rules.SeveritySuggestion:
    """The severity the playbook suggests from the incident's recorded facts."""
    return rules.suggest_severity(rules.facts_of(incident))


def _sort_columns(current: str) -> dict:
    return sort_columns(SORTABLE, current, DEFAULT_ORDERING)


def _filter_controls(filterset, params) -> list[dict]:
    """One labelled select per filter, with the current choice marked."""
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


def _filter_data(params):
    """The register's GET parameters as the FilterSet reads them: an "until" date is inclusive."""
    data = params.copy()
    until = data.get("detected_before", "")
    if until and (bound := end_of_day(until)):
        data["detected_before"] = bound
    return data


# --- register ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD"])
def register(request):
    """The register: filter, sort, search, page. Filters live in the URL (bookmarkable and
    shareable); htmx requests get the results partial only."""
    user = request.user
    if not permissions.can_use_register(user):
        return refused(request, NO_ROLE)

    params = request.GET
    filterset = IncidentFilter(_filter_data(params) or None, queryset=selectors.register(user))
    incidents = filterset.qs
    ordering = list(incidents.query.order_by)
    if not ordering:
        incidents = incidents.order_by("-detected_at", "-id")
    elif not {"id", "-id"} & set(ordering):
        incidents = incidents.order_by(*ordering, "-id")  # pages never overlap
    page = Paginator(incidents, PAGE_SIZE).get_page(params.get("page"))

    filtered = any(
        any(values) for name, values in params.lists() if name not in ("page", "ordering")
    )
    export_query = params.copy()
    export_query.pop("page", None)
    context = {
        "filterset": filterset,
        "page_obj": page,
        "incidents": page.object_list,
        "columns": _sort_columns(params.get("ordering", "")),
        "ordering": params.get("ordering", ""),
        "controls": _filter_controls(filterset, params),
        "dates": {name: params.get(name, "")[:10] for name in DATE_FILTERS},
        "filtered": filtered,
        "can_file": permissions.can_file_incident(user),
        "export_url": f"{EXPORT_PATH}?{export_query.urlencode()}"
        if permissions.can_export_register(user)
        else "",
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "incidents/register.html#results", context)
    return render(request, "incidents/register.html", context)


# --- filing --------------------------------------------------------------------------------


def _int_or_none(value):
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def _decimal_or_none(value):
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, TypeError, ValueError):
        return None


def _assist_context(user, data) -> dict:
    """What the New incident page shows next to the form: the severity the playbook suggests
    from the facts entered so far, and similar past incidents (same system, similar text)."""
    get = data.get
    getlist = data.getlist if hasattr(data, "getlist") else (lambda name: data.get(name) or [])
    facts = rules.SeverityFacts(
        harm_flags=frozenset(getlist("harm_flags")),
        types=frozenset(getlist("types")),
        financial_impact=_decimal_or_none(get("financial_impact_estimate")),
        individuals_affected=_int_or_none(get("individuals_affected_estimate")),
        scope=get("scope") or "",
        reputational_risk=get("reputational_risk") in ("on", "true", "True", "1"),
    )
    has_facts = bool(
        facts.harm_flags
        or facts.types
        or facts.financial_impact is not None
        or facts.individuals_affected is not None
        or facts.scope
        or facts.reputational_risk
    )
    system_ids = [pk for pk in (_int_or_none(v) for v in getlist("systems")) if pk is not None]
    text = " ".join(filter(None, [(get("title") or "").strip(), (get("description") or "")]))
    return {
        "suggestion": rules.suggest_severity(facts) if has_facts else None,
        "similar": selectors.similar_incidents(user, text=text[:2000], system_ids=system_ids),
        "asked": bool(text.strip() or system_ids),
    }


@login_required
@form_methods
def incident_create(request):
    """File an incident or near miss. Similar past incidents and the suggested severity are
    shown as the person types (``incident_assist``)."""
    user = request.user
    if not permissions.can_file_incident(user):
        return refused(request, _("Your role cannot file incidents."))
    form = IncidentCreateForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_create(
                actor=user,
                data=form.service_data(),
                systems=list(data["systems"]),
                severity=data["severity"],
                severity_reason=data["severity_reason"],
            )
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
            status = exc.status_code
        else:
            messages.success(
                request, _("%(incident)s was filed.") % {"incident": incident.reference}
            )
            return redirect(incident)
    context = {"form": form, **_assist_context(user, request.POST if form.is_bound else {})}
    return render(request, "incidents/incident_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def incident_assist(request):
    """The New incident page's side panel, re-rendered as the person types (htmx)."""
    user = request.user
    if not permissions.can_file_incident(user):
        return refused(request, _("Your role cannot file incidents."))
    data = request.POST if request.method == "POST" else request.GET
    return render(request, "incidents/incident_form.html#assist", _assist_context(user, data))


# --- the incident page ---------------------------------------------------------------------


def _forms_for(request, incident, bound=None) -> dict:
    """The action forms the user may use on this incident, each with its own id prefix."""
    user = request.user
    bound = bound or {}
    can_manage = permissions.can_manage_incident(user, incident)
    can_contribute = permissions.can_contribute(user, incident)
    is_open = incident.is_open
    forms = {}

    def offer(name, allowed, factory):
        if allowed:
            forms[name] = bound.get(name) or factory(f"{name}-%s")

    offer("severity", can_contribute, lambda a: SeverityForm(auto_id=a))
    offer("note", can_contribute, lambda a: NoteForm(auto_id=a))
    offer("evidence", can_contribute, lambda a: EvidenceForm(auto_id=a))
    offer("lead", permissions.is_manager(user), lambda a: LeadForm(auto_id=a))
    offer("participant", can_manage, lambda a: ParticipantForm(auto_id=a))
    offer(
        "system",
        can_manage or incident.reported_by_id == user.pk,
        lambda a: AffectedSystemForm(auto_id=a, user=user, incident=incident),
    )
    offer(
        "containment",
        can_manage and is_open,
        lambda a: ContainmentForm(auto_id=a, incident=incident),
    )
    offer(
        "waiver",
        permissions.can_approve_waiver(user)
        and is_open
        and not any(a.subject == ApprovalSubject.EVIDENCE_WAIVER for a in incident.approvals.all()),
        lambda a: WaiverForm(auto_id=a),
    )
    offer("notification", can_manage, lambda a: NotificationForm(auto_id=a))
    return forms


def _moves(request, incident) -> list[dict]:
    """Each move the lifecycle allows from here, what it still needs, and its form."""
    can_manage = permissions.can_manage_incident(request.user, incident)
    moves = []
    for move in workflow.moves_from(incident.status):
        form = None
        if can_manage:
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
        "approvals": approvals,
        "participants": list(incident.participants.all()),
        "suggestion": _facts_suggestion(incident),
        "preserve_first": workflow.guard_preserve_first(incident, ""),
        "forms": _forms_for(request, incident, bound),
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
        )
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


# --- editing -------------------------------------------------------------------------------


@login_required
@form_methods
def incident_edit(request, pk):
    """Edit the record with optimistic concurrency: the form carries the version it was opened
    from, and a stale form is refused without overwriting anything."""
    user = request.user
    incident = _visible_incident(request, pk)
    if not permissions.can_manage_incident(user, incident):
        return refused(
            request,
            _("Only GRC staff, the AI risk officer and the incident lead edit an incident."),
        )
    may_restrict = user.has_role("grc")
    status = 200
    if request.method == "POST":
        form = IncidentEditForm(request.POST, instance=incident, may_restrict=may_restrict)
        if form.is_valid():
            try:
                saved = services.incident_update(
                    actor=user,
                    incident=incident,
                    data=form.changed_service_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
                status = exc.status_code
            else:
                messages.success(request, _("%(ref)s was saved.") % {"ref": saved.reference})
                return redirect(saved)
        # The heading shows the record as stored, not as half-edited in the form.
        incident.refresh_from_db()
    else:
        form = IncidentEditForm(
            instance=incident, initial={"version": version_of(incident)}, may_restrict=may_restrict
        )
    return render(
        request,
        "incidents/incident_edit.html",
        {"form": form, "incident": incident},
        status=status,
    )
