"""HTML pages of the AI system inventory.

Thin on purpose: reads start from ``inventory.selectors``, writes go through
``inventory.services`` (which re-check permission and validate), and a service's refusal is
shown to the person in the words the API would use. ``inventory.permissions`` only decides
which buttons to show and refuses early, before a form is even offered.
"""

import functools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from aims.core.concurrency import version_of
from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.listing import sort_columns
from aims.core.views import report_application_error, show_service_error

from . import permissions, selectors, services
from .choices import DataCategory, ValidationStatus
from .filters import AISystemFilter
from .forms import (
    AISystemEditForm,
    AISystemForm,
    DeploymentForm,
    ModelVersionForm,
    MonitoringRuleForm,
)
from .models import Deployment, ModelRegistryLink, ModelVersion, MonitoringRule
from .sections import rendered_sections
from .services import registry

PAGE_SIZE = 25
SYNC_LOG_SHOWN = 10  # the system page's sync log; the API lists more

NO_ROLE = gettext_lazy("Your account has no role in AIMS Register; ask GRC staff to assign one.")

# (ordering key of AISystemFilter, column label)
SORTABLE = {
    "reference": gettext_lazy("Reference"),
    "name": gettext_lazy("Name"),
    "status": gettext_lazy("Status"),
    "tier": gettext_lazy("Risk tier"),
    "updated": gettext_lazy("Updated"),
}
# Filters offered as one select each in the filter bar, in this order.
FILTER_SELECTS = [
    "lifecycle_status",
    "internal_risk_tier",
    "eu_ai_act_class",
    "validation_status",
    "flag",
]

form_methods = require_http_methods(["GET", "POST"])


# --- helpers ------------------------------------------------------------------------------


def refused(request, message):
    """403 with the reason, in the layout, so the person knows what to ask for."""
    return render(request, "inventory/refused.html", {"message": message}, status=403)


def role_required(view):
    """People signed in without a role are told whom to ask (403), on every inventory page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_view_inventory(request.user):
            return refused(request, NO_ROLE)
        return view(request, *args, **kwargs)

    return wrapper


def _visible_system(request, pk):
    """The system if the user may see it; 404 otherwise (its existence is not revealed)."""
    return get_object_or_404(selectors.systems_visible_to(request.user), pk=pk)


def _format_decimal(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# Short chip texts for the dense list; the column header says what they are about.
VALIDATION_SHORT = {
    ValidationStatus.IN_VALIDATION: gettext_lazy("In progress"),
    ValidationStatus.EXPIRED: gettext_lazy("Expired"),
}


def _with_short_labels(systems) -> list:
    """The list shows the EU AI Act class without its article ("High-risk") and short
    validation states; the cells' titles keep the full labels."""
    systems = list(systems)
    for system in systems:
        label = str(system.get_eu_ai_act_class_display())
        system.eu_class_short = label.split(" (", 1)[0]
        system.validation_short = VALIDATION_SHORT.get(
            system.validation_status, system.get_validation_status_display()
        )
    return systems


def _sort_columns(current: str) -> dict:
    return sort_columns(SORTABLE, current, "reference")


def _filter_controls(filterset, owners) -> list[dict]:
    """One select per filter, labelled and with the current choice marked."""
    data = filterset.data
    controls = []
    for name in FILTER_SELECTS:
        field = filterset.form.fields[name]
        chosen = set(data.getlist(name)) if hasattr(data, "getlist") else set()
        controls.append(
            {
                "name": name,
                "label": field.label,
                "options": [
                    (str(value), label, str(value) in chosen)
                    for value, label in field.choices
                    if value != ""
                ],
            }
        )
    chosen_owner = str(data.get("owner", "")) if data else ""
    controls.append(
        {
            "name": "owner",
            "label": _("Owner"),
            "options": [(str(u.pk), str(u), str(u.pk) == chosen_owner) for u in owners],
        }
    )
    return controls


# --- systems -----------------------------------------------------------------------------


@login_required
@role_required
@require_http_methods(["GET", "HEAD"])
def system_list(request):
    """The inventory: filter, sort, search, page. Filters live in the URL (bookmarkable);
    htmx requests get the results partial only."""
    user = request.user

    # Meta.ordering does not apply to the annotated (GROUP BY) list: order explicitly, and break
    # ties on the reference so that pages never overlap.
    queryset = selectors.system_list(user).order_by("reference")
    filterset = AISystemFilter(request.GET or None, queryset=queryset)
    systems = filterset.qs
    if not {"reference", "-reference"} & set(systems.query.order_by):
        systems = systems.order_by(*systems.query.order_by, "reference")
    paginator = Paginator(systems, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))

    visible = selectors.systems_visible_to(user)
    owners = (
        get_user_model()
        .objects.filter(
            Q(pk__in=visible.values("business_owner_id"))
            | Q(pk__in=visible.values("technical_owner_id"))
        )
        .order_by("first_name", "last_name", "username")
    )
    filtered = any(
        any(values) for name, values in request.GET.lists() if name not in ("page", "ordering")
    )
    # Empty selects ("any") are not errors to the person; values that are wrong are named.
    ignored = [
        f"{filterset.form.fields[name].label}: {' '.join(errors)}"
        for name, errors in filterset.errors.items()
        if any(request.GET.getlist(name))
    ]
    context = {
        "ignored_filters": ignored,
        "page_obj": page,
        "systems": _with_short_labels(page.object_list),
        "columns": _sort_columns(request.GET.get("ordering", "")),
        "ordering": request.GET.get("ordering", ""),
        "controls": _filter_controls(filterset, owners),
        "filtered": filtered,
        "can_create": permissions.can_create_system(user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "inventory/system_list.html#results", context)
    return render(request, "inventory/system_list.html", context)


@login_required
@role_required
@require_http_methods(["GET", "HEAD"])
def system_detail(request, pk):
    """One system: properties, versions, change log, monitoring rules, what runs now."""
    user = request.user
    queryset = (
        selectors.systems_visible_to(user)
        .select_related("registry_link")
        .prefetch_related(
            Prefetch(
                "model_versions",
                queryset=ModelVersion.objects.select_related("approved_by").order_by("-created_at"),
            ),
            Prefetch(
                "deployments",
                queryset=Deployment.objects.select_related("model_version", "deployed_by").order_by(
                    "-deployed_at", "-id"
                ),
            ),
            Prefetch("monitoring_rules", queryset=MonitoringRule.objects.order_by("metric", "id")),
        )
    )
    system = get_object_or_404(queryset, pk=pk)
    in_production = selectors.deployment_in_production_at(system, timezone.now())
    rules = list(system.monitoring_rules.all())
    for rule in rules:
        rule.threshold_display = _format_decimal(rule.threshold)
    labels = dict(DataCategory.choices)
    can_record = permissions.can_record_for_system(user, system)
    try:
        registry_link = system.registry_link  # joined above: no query
    except ModelRegistryLink.DoesNotExist:
        registry_link = None
    return render(
        request,
        "inventory/system_detail.html",
        {
            "registry_link": registry_link,
            "registry_syncs": list(selectors.registry_syncs(system)[:SYNC_LOG_SHOWN])
            if registry_link
            else [],
            "can_sync": registry_link is not None
            and registry_link.active
            and permissions.can_sync_registry(user, system),
            "system": system,
            "versions": system.model_versions.all(),
            "deployments": system.deployments.all(),
            "rules": rules,
            "in_production": in_production,
            "data_categories": [labels.get(c, c) for c in system.data_categories],
            "can_change": permissions.can_change_system(user, system),
            "can_record": can_record,
            "can_approve": permissions.can_manage_inventory(user),
            "sections": rendered_sections(request, system),
        },
    )


@login_required
@role_required
@form_methods
def system_create(request):
    user = request.user
    if not permissions.can_create_system(user):
        return refused(request, _("Only GRC staff and the AI risk officer add AI systems."))
    form = AISystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            system = services.system_create(actor=user, data=form.cleaned_data)
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request, _("%(system)s was added to the inventory.") % {"system": system}
            )
            return redirect(system)
    return render(request, "inventory/system_form.html", {"form": form, "system": None})


@login_required
@role_required
@form_methods
def system_edit(request, pk):
    """Edit with optimistic concurrency: the form carries the version it was opened from."""
    user = request.user
    system = _visible_system(request, pk)
    if not permissions.can_change_system(user, system):
        return refused(
            request,
            _("Only GRC staff, the AI risk officer and the system's owners edit an AI system."),
        )
    if request.method == "POST":
        form = AISystemEditForm(request.POST, instance=system)
        if form.is_valid():
            try:
                saved = services.system_update(
                    actor=user,
                    system=system,
                    data=form.service_data(),
                    expected_version=form.cleaned_data["version"],
                )
            except PermissionRefused as exc:
                return refused(request, exc.message)
            except ApplicationError as exc:
                show_service_error(form, exc)
            else:
                messages.success(request, _("%(system)s was saved.") % {"system": saved})
                return redirect(saved)
        # The header shows the record as stored, not as half-edited in the form.
        system.refresh_from_db()
    else:
        form = AISystemEditForm(instance=system, initial={"version": version_of(system)})
    return render(request, "inventory/system_form.html", {"form": form, "system": system})


# --- model versions, change log, monitoring rules ------------------------------------------


def _record_page(request, system, form, *, title, submit_label, intro=""):
    return render(
        request,
        "inventory/record_form.html",
        {
            "system": system,
            "form": form,
            "title": title,
            "submit_label": submit_label,
            "intro": intro,
        },
    )


def _recording_refused(request, system, what):
    """The refusal in the rule's words (the same sentence the API and the service give)."""
    decision = permissions.can_record_for_system(request.user, system, what=what)
    return None if decision else refused(request, decision.message)


@login_required
@role_required
@form_methods
def model_version_create(request, pk):
    system = _visible_system(request, pk)
    if refusal := _recording_refused(request, system, _("add model versions")):
        return refusal
    form = ModelVersionForm(request.POST or None, instance=ModelVersion(system=system))
    if request.method == "POST" and form.is_valid():
        try:
            version = services.model_version_create(
                actor=request.user, system=system, data=form.cleaned_data
            )
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Model version %(label)s was added.") % {"label": version.version_label},
            )
            return redirect(system)
    return _record_page(
        request,
        system,
        form,
        title=_("Add a model version"),
        submit_label=_("Add model version"),
        intro=_("Pin the version exactly: artifact, digest, training data and prompt/config."),
    )


@login_required
@role_required
@require_POST
def model_version_approve(request, pk):
    version = get_object_or_404(selectors.model_versions_visible_to(request.user), pk=pk)
    try:
        services.model_version_approve(actor=request.user, version=version)
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        report_application_error(request, exc)
    else:
        messages.success(
            request,
            _("Model version %(label)s is approved for release.")
            % {"label": version.version_label},
        )
    return redirect(version.system)


@login_required
@role_required
@require_POST
def registry_sync(request, pk):
    """ "Sync now": queue a sync with the linked registry; a worker runs it."""
    system = _visible_system(request, pk)
    try:
        registry.registry_sync_request(actor=request.user, system=system)
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        report_application_error(request, exc)
    else:
        messages.success(
            request,
            _("A sync with the model registry is queued; the sync log below shows its outcome."),
        )
    return redirect(system)


@login_required
@role_required
@form_methods
def deployment_create(request, pk):
    """Record an entry of the model change log (deploy, rollback, retrain, ...)."""
    system = _visible_system(request, pk)
    if refusal := _recording_refused(request, system, _("record deployments")):
        return refusal
    form = DeploymentForm(request.POST or None, instance=Deployment(system=system), system=system)
    if request.method == "POST" and form.is_valid():
        try:
            deployment = services.deployment_record(
                actor=request.user, system=system, data=form.cleaned_data
            )
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request,
                _("%(change)s of %(label)s to %(env)s was recorded in the change log.")
                % {
                    "change": deployment.get_change_type_display(),
                    "label": deployment.model_version.version_label,
                    "env": deployment.get_environment_display().lower(),
                },
            )
            return redirect(system)
    no_versions = not form.fields["model_version"].queryset.exists()
    return _record_page(
        request,
        system,
        form,
        title=_("Record a deployment"),
        submit_label=_("Record deployment"),
        intro=_("This system has no model versions yet: add one before recording a deployment.")
        if no_versions
        else _("Each entry answers which model version ran where, from when, and why."),
    )


@login_required
@role_required
@form_methods
def monitoring_rule_create(request, pk):
    system = _visible_system(request, pk)
    if refusal := _recording_refused(request, system, _("add monitoring rules")):
        return refusal
    form = MonitoringRuleForm(request.POST or None, instance=MonitoringRule(system=system))
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.monitoring_rule_create(
                actor=request.user, system=system, data=form.cleaned_data
            )
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request, _("Monitoring rule %(metric)s was added.") % {"metric": rule.metric}
            )
            return redirect(system)
    return _record_page(
        request,
        system,
        form,
        title=_("Add a monitoring rule"),
        submit_label=_("Add monitoring rule"),
    )


@login_required
@role_required
@form_methods
def monitoring_rule_edit(request, pk):
    rule = get_object_or_404(selectors.monitoring_rules_visible_to(request.user), pk=pk)
    system = rule.system
    if refusal := _recording_refused(request, system, _("change monitoring rules")):
        return refusal
    form = MonitoringRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.monitoring_rule_update(
                actor=request.user, rule=rule, data=form.cleaned_data
            )
        except PermissionRefused as exc:
            return refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
        else:
            messages.success(
                request, _("Monitoring rule %(metric)s was saved.") % {"metric": saved.metric}
            )
            return redirect(system)
    return _record_page(
        request,
        system,
        form,
        title=_("Edit monitoring rule"),
        submit_label=_("Save rule"),
        intro=_("Changing the threshold needs a reason: name the incident that prompted it."),
    )
