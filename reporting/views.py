"""The HTML pages of reporting: my runs, one run's progress (polled with htmx) and its download,
the incident page's case-file button, the register export, the management-review dashboard and
its pack, and the audit-sample form.

Thin, as everywhere: each request for a document is one call to its ``<kind>_request`` service
(which checks permission, validates, joins an identical run in progress, applies the per-person
cap and queues the run after commit); the person then lands on the run's progress page, which
offers the download when a worker has built it. No page waits on a document.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed
from aims.core.views import show_service_error
from incidents.selectors import incidents_visible_to

from . import filters, permissions, rules, selectors, services
from .builders import register as register_document
from .builders.review_pack import review_context
from .choices import ReportKind
from .forms import AuditSampleForm, period_from_query


def _to_run_page(request, run):
    """The run's progress page; say so when the request joined a run already in progress."""
    if getattr(run, "coalesced", False):
        messages.info(
            request,
            _("You already asked for this report; it is still being generated (run #%s).") % run.pk,
        )
    return redirect("reporting:run-detail", pk=run.pk)


# --- runs ---------------------------------------------------------------------------------------


@login_required
def reports_home(request):
    runs = selectors.runs_visible_to(request.user)[:50]
    return render(
        request,
        "reporting/reports.html",
        {"runs": runs, "export_formats": services.export_formats_for(request.user)},
    )


@login_required
def run_detail(request, pk):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    template = "reporting/run.html#progress" if request.htmx else "reporting/run.html"
    return render(request, template, {"run": run})


@login_required
def run_download(request, pk):
    run = get_object_or_404(selectors.runs_visible_to(request.user), pk=pk)
    try:
        handle = services.report_open(actor=request.user, run=run)
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=run.file_name, content_type=run.media_type
    )
    response["X-Document-SHA256"] = run.sha256
    return response


# --- the case file ------------------------------------------------------------------------------


@login_required
@require_GET
def case_file(request, pk: int):
    """The "Case file (PDF)" button of the incident page: a run, built by a worker while the
    person watches its progress; the run page then offers the download."""
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    try:
        run = services.case_file_request(actor=request.user, incident=incident)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(incident.get_absolute_url())
    return _to_run_page(request, run)


# --- regulatory report drafts (disclosure) -------------------------------------------------------


@login_required
@require_GET
def disclosure_draft_pdf(request, pk: int):
    """The "PDF" link of a report draft on the incident page's disclosure section: a run built
    by a worker; the run page offers the download."""
    from disclosure.selectors import communications_visible_to

    communication = get_object_or_404(communications_visible_to(request.user), pk=pk)
    try:
        run = services.disclosure_draft_request(actor=request.user, communication=communication)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"{communication.incident.get_absolute_url()}#communications")
    return _to_run_page(request, run)


# --- an AI system's evidence trail (risk) -------------------------------------------------------


@login_required
@require_GET
def system_trail_pdf(request, pk: int):
    """The "Trail (PDF)" button of a system's evidence trail page: a run built by a worker."""
    from risk.permissions import can_read_trail
    from risk.trail import trail_system

    decision = can_read_trail(request.user)
    if not decision:
        return render(request, "incidents/refused.html", {"message": decision.message}, status=403)
    system = trail_system(request.user, pk)
    if system is None:
        raise Http404(_("No such AI system, or you may not read its trail."))
    try:
        run = services.system_trail_request(actor=request.user, system=system)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("risk:system-trail", pk=system.pk)
    return _to_run_page(request, run)


# --- the register export ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request):
    """Choose the format for the register's current filters — carried in the query string from
    the register page, or as hidden fields when posted. Posting starts the run and shows its
    progress page, which offers the download when the file is ready."""
    formats = services.export_formats_for(request.user)
    if not formats:
        context = {"refusal": _("Your role cannot export the incident register.")}
        return render(request, "reporting/export_new.html", context, status=403)
    data = request.POST if request.method == "POST" else request.GET
    params = filters.filter_params(data)
    context = {
        "export_formats": formats,
        "export_filters": [
            (name, value)
            for name, values in params.items()
            for value in (values if isinstance(values, list) else [values])
        ],
        "register_query": filters.params_query(params),
        "chosen": data.get("format", "csv"),
        "pdf_max_rows": register_document.PDF_MAX_ROWS,
    }
    try:
        filters.validate_filters(params)
    except ValidationFailed as exc:
        context.update(error=exc.message, filter_errors=exc.fields)
        return render(request, "reporting/export_new.html", context, status=400)
    count = selectors.register_rows(request.user, params).count()
    context.update(
        filters=filters.describe_filters(params),
        count=count,
        pdf_too_large=count > register_document.PDF_MAX_ROWS,
    )
    if request.method == "POST":
        try:
            run = services.register_export_request(
                actor=request.user, fmt=context["chosen"], params=params
            )
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "reporting/export_new.html", context, status=exc.status_code)
        return _to_run_page(request, run)
    return render(request, "reporting/export_new.html", context)


# --- the management review ----------------------------------------------------------------------


def _review_refused(request):
    """The refusal page with the rule's words (the API gives the same sentence)."""
    decision = permissions.can_see_review(request.user)
    if decision:
        return None
    return render(request, "incidents/refused.html", {"message": decision.message}, status=403)


@login_required
def dashboard(request):
    if refusal := _review_refused(request):
        return refusal
    period, preset, errors = period_from_query(request.GET)
    context = review_context(period=period, user=request.user)
    context.update(
        preset=preset,
        presets=[{"key": key, "label": label} for key, label in rules.PRESETS.items()],
        errors=errors,
        custom_from=request.GET.get("from", ""),
        custom_to=request.GET.get("to", ""),
    )
    return render(request, "reporting/dashboard.html", context)


@login_required
@require_POST
def review_new(request):
    """Request the PDF pack for the dashboard's period; the run page shows its progress."""
    if refusal := _review_refused(request):
        return refusal
    try:
        run = services.review_pack_request(
            actor=request.user, start=request.POST.get("start"), end=request.POST.get("end")
        )
    except PermissionRefused as exc:
        return render(request, "incidents/refused.html", {"message": exc.message}, status=403)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:dashboard")
    return _to_run_page(request, run)


# --- the risk module's documents ------------------------------------------------------------


@login_required
@require_POST
def risk_export(request):
    """The risk register as the person filtered it (the form carries the filters)."""
    params = {
        key: [v for v in request.POST.getlist(key) if v]
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "format")
    }
    try:
        run = services.risk_register_export_request(
            actor=request.user,
            fmt=request.POST.get("format", ""),
            params={k: v for k, v in params.items() if v},
        )
    except PermissionRefused as exc:
        return render(request, "incidents/refused.html", {"message": exc.message}, status=403)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("risk:register")
    return _to_run_page(request, run)


@login_required
@require_POST
def capa_export(request):
    """The CAPA register as the person filtered it (the form carries the filters)."""
    params = {
        key: [v for v in request.POST.getlist(key) if v]
        for key in request.POST
        if key not in ("csrfmiddlewaretoken", "format")
    }
    try:
        run = services.capa_register_export_request(
            actor=request.user,
            fmt=request.POST.get("format", ""),
            params={k: v for k, v in params.items() if v},
        )
    except PermissionRefused as exc:
        return render(request, "incidents/refused.html", {"message": exc.message}, status=403)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("capa:register")
    return _to_run_page(request, run)


@login_required
@require_POST
def soa_pdf(request):
    try:
        run = services.soa_request(actor=request.user)
    except PermissionRefused as exc:
        return render(request, "incidents/refused.html", {"message": exc.message}, status=403)
    return _to_run_page(request, run)


# --- audit samples ------------------------------------------------------------------------------


def _sample_refused(request, message):
    return render(request, "reporting/sample_refused.html", {"message": message}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def sample_new(request):
    """Draw an audit sample: the draw is recorded at once, the bundle is built by a worker."""
    user = request.user
    if not permissions.can_request(user, ReportKind.AUDIT_SAMPLE):
        return _sample_refused(request, _("Your role cannot draw audit samples."))
    form = AuditSampleForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            run = services.audit_sample_request(actor=user, data=form.service_data())
        except PermissionRefused as exc:
            return _sample_refused(request, exc.message)
        except ApplicationError as exc:
            show_service_error(form, exc)
            status = exc.status_code
        else:
            if not run.coalesced:
                messages.success(
                    request,
                    _(
                        "Drew %(drawn)s of %(population)s incidents with seed %(seed)s. "
                        "The bundle is being built."
                    )
                    % {
                        "drawn": len(run.params["drawn"]),
                        "population": run.params["population_size"],
                        "seed": run.params["seed"],
                    },
                )
            return _to_run_page(request, run)
    template = "reporting/sample_form.html#form" if request.htmx else "reporting/sample_form.html"
    return render(request, template, {"form": form}, status=status)


# --- the incident-management procedure (risk's documented information) --------------------------


@login_required
@require_POST
def procedure_pdf(request, pk: int):
    """ "Generate from configuration" on the procedure's document page: a worker builds the PDF
    and records it as a draft version; the run page shows the progress."""
    from risk.models import Document

    document = get_object_or_404(Document, pk=pk)
    try:
        run = services.procedure_request(actor=request.user, document=document)
    except PermissionRefused as exc:
        return render(request, "incidents/refused.html", {"message": exc.message}, status=403)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(document.get_absolute_url())
    return _to_run_page(request, run)
