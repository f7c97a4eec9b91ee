"""HTML side of the list of affected individuals: its own page (linked from the disclosure
section of the incident page, for legal and the DPO), the upload, status updates and the
mail-merge export. Every write is one call to ``disclosure.services``."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused
from aims.core.spreadsheet import neutralise
from incidents.views.common import form_errors_text, refused

from . import permissions, rules, selectors, services
from .choices import IndividualStatus
from .forms import IndividualsStatusForm, IndividualsUploadForm
from .views import _visible_incident, gated

PAGE_SIZE = 50

EXPORT_COLUMNS = (
    "identifier",
    "name",
    "contact",
    "channel",
    "state",
    "country",
    "status",
    "status_at",
    "notified_channel",
    "status_reason",
)


def _page_url(incident):
    return reverse("disclosure:individuals", kwargs={"pk": incident.pk})


# The rule is asked before the incident is looked up, as the API's ``DecisionPermission`` does:
# a role that may not handle the list is told so (403) whichever incident it names.
handles_individuals = gated(permissions.can_handle_individuals)


@login_required
@require_GET
@handles_individuals
def individuals_page(request, pk):
    incident = _visible_incident(request, pk)
    summary = selectors.individuals_summary(incident)
    status = request.GET.get("status", "")
    if status not in IndividualStatus.values:
        status = ""
    page = None
    if summary["upload"] is not None:
        rows = selectors.individuals_of(summary["upload"], status=status).select_related(
            "status_by"
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    upload = summary["upload"]
    states = sorted(
        (upload.residents_by_state if upload else {}).items(), key=lambda kv: (-kv[1], kv[0])
    )
    return render(
        request,
        "disclosure/individuals.html",
        {
            "incident": incident,
            "s": summary,
            "page": page,
            "status": status,
            "statuses": IndividualStatus.choices,
            "states": [
                {"state": k, "count": v, "over": v > rules.HIPAA_MEDIA_THRESHOLD} for k, v in states
            ],
            "upload_form": IndividualsUploadForm(auto_id="upload-%s"),
            "status_form": IndividualsStatusForm(auto_id="status-%s"),
        },
    )


def _act(request, incident, perform, success):
    try:
        perform()
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(incident))
    messages.success(request, success)
    return redirect(_page_url(incident))


@login_required
@require_POST
@handles_individuals
def individuals_upload(request, pk):
    incident = _visible_incident(request, pk)
    form = IndividualsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_page_url(incident))
    return _act(
        request,
        incident,
        lambda: services.individuals_upload(
            actor=request.user, incident=incident, uploaded_file=form.cleaned_data["file"]
        ),
        _("The list was kept; its counts were given to the disclosure facts."),
    )


@login_required
@require_POST
@handles_individuals
def individuals_status(request, pk):
    incident = _visible_incident(request, pk)
    form = IndividualsStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(_page_url(incident))
    return _act(
        request,
        incident,
        lambda: services.individuals_status_update(
            actor=request.user, incident=incident, **form.service_data()
        ),
        _("The notification status was recorded."),
    )


class _Echo:
    def write(self, value):
        return value


def individuals_csv_response(*, actor, incident, status: str) -> StreamingHttpResponse:
    """Record the export, then stream the list as CSV for a mail merge (cells made inert for
    spreadsheets). Shared by the page and the API."""
    export, rows = services.individuals_export(actor=actor, incident=incident, status=status)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(EXPORT_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    neutralise(row.identifier),
                    neutralise(row.name),
                    neutralise(row.contact),
                    row.channel,
                    neutralise(row.state),
                    row.country,
                    row.status,
                    row.status_at.isoformat() if row.status_at else "",
                    row.notified_channel,
                    neutralise(row.status_reason),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    suffix = f"-{status}" if status else ""
    response["Content-Disposition"] = (
        f'attachment; filename="{incident.reference}-individuals{suffix}.csv"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["X-Total-Count"] = str(export.row_count)
    return response


@login_required
@require_GET
@handles_individuals
def individuals_export(request, pk):
    incident = _visible_incident(request, pk)
    try:
        return individuals_csv_response(
            actor=request.user, incident=incident, status=request.GET.get("status", "")
        )
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(incident))


def individuals_file_response(*, actor, incident) -> FileResponse:
    """The uploaded file itself, its SHA-256 re-checked and the download recorded."""
    upload, handle = services.individuals_file_open(actor=actor, incident=incident)
    response = FileResponse(
        handle, as_attachment=True, filename=upload.original_name, content_type="text/csv"
    )
    response["X-Evidence-SHA256"] = upload.sha256
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
@handles_individuals
def individuals_file(request, pk):
    incident = _visible_incident(request, pk)
    try:
        return individuals_file_response(actor=request.user, incident=incident)
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_page_url(incident))
