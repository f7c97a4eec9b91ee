"""The Reports pages: my runs, one run's progress (polled with htmx), and its download."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from aims.core.exceptions import ApplicationError

from . import exports, selectors, services


@login_required
def reports_home(request):
    runs = selectors.runs_visible_to(request.user)[:50]
    return render(
        request,
        "reporting/reports.html",
        {"runs": runs, "export_formats": exports.formats_for(request.user)},
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
