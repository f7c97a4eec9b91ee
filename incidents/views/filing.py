"""Filing a new incident (with similar incidents as you type) and editing one."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.views import show_service_error

from .. import permissions, rules, selectors, services
from ..forms import (
    IncidentCreateForm,
    IncidentEditForm,
)
from .common import _int_or_none, _visible_incident, form_methods, refused

# --- filing --------------------------------------------------------------------------------


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
    if not (decision := permissions.can_file_incident(user)):
        return refused(request, decision.message)
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
    if not (decision := permissions.can_file_incident(user)):
        return refused(request, decision.message)
    data = request.POST if request.method == "POST" else request.GET
    return render(request, "incidents/incident_form.html#assist", _assist_context(user, data))


# --- editing -------------------------------------------------------------------------------


@login_required
@form_methods
def incident_edit(request, pk):
    """Edit the record with optimistic concurrency: the form carries the version it was opened
    from, and a stale form is refused without overwriting anything."""
    user = request.user
    incident = _visible_incident(request, pk)
    if not (decision := permissions.can_edit_incident(user, incident)):
        return refused(request, decision.message)
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
