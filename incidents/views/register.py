"""The register page: filters in the URL, sort, pagination, htmx partial."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from aims.core.pagination import DeferredJoinPaginator

from .. import permissions, selectors
from ..filters import IncidentFilter
from .common import (
    DATE_FILTERS,
    EXPORT_PATH,
    NO_ROLE,
    PAGE_SIZE,
    _filter_controls,
    _filter_data,
    _sort_columns,
    refused,
)

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
    page = DeferredJoinPaginator(incidents, PAGE_SIZE).get_page(params.get("page"))

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
