"""Pages of the protected reporting channel.

Public (no login), at ``/report/``: anyone reports a concern, anonymously or with contact
details, gets a receipt code once, and with it checks the status and adds information at
``/report/status/``. Both are CSRF-protected and rate-limited per IP address; the code is only
ever sent in a POST body, never in a URL, and the pages are not cached.

Handlers (the ethics function and GRC), at ``/protected-reports/``: the list, one page per
report with the reporter's identity, replies, status, and — for GRC — conversion into an
incident. Every other role gets 403: they see the content only once GRC has made it an
incident. Writes are one call each to ``incidents.services.protected_channel``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

from aims.core.exceptions import ApplicationError, Conflict, NotFound, PermissionRefused

from . import permissions
from .choices import ProtectedReportStatus
from .models import ProtectedReport
from .protected_forms import (
    STATUS_FILTER_CHOICES,
    AddInformationForm,
    ConvertForm,
    ReceiptCodeForm,
    ReplyForm,
    ReportForm,
    StatusForm,
)
from .services import protected_channel as services

SUBMIT_RATE = "5/h"
STATUS_RATE = "20/h"
SUBMIT_GROUP = "protected-report-submit"
STATUS_GROUP = "protected-report-status"
PAGE_SIZE = 50
NO_SUCH_REPORT = gettext_lazy("There is no report with that code. Check the code and try again.")


def _private(response):
    """Receipt codes and report content must not stay in shared or browser caches
    (``no-store``, ``private``, each once)."""
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _rate_limited(request, *, group, rate):
    """The 429 page, with ``Retry-After``: the seconds until this address's next window (the
    current one still counts at its last second)."""
    usage = get_usage(request, group=group, key="ip", rate=rate, method="POST")
    response = _private(render(request, "incidents/protected/rate_limited.html", status=429))
    response["Retry-After"] = str(max(usage["time_left"], 0) + 1 if usage else 1)
    return response


def _put_error(form, exc: ApplicationError) -> None:
    placed = False
    for name, problems in (exc.fields or {}).items():
        if name in form.fields:
            form.add_error(name, exc.message if len(exc.fields) == 1 else " ".join(problems))
            placed = True
    if not placed:
        form.add_error(None, exc.message)


# --- public pages ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@ratelimit(group=SUBMIT_GROUP, key="ip", rate=SUBMIT_RATE, method="POST", block=False)
def report_form(request):
    """Report a concern. On success the receipt code is shown once, on this response only."""
    if request.method == "POST":
        if getattr(request, "limited", False):
            return _rate_limited(request, group=SUBMIT_GROUP, rate=SUBMIT_RATE)
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                report, code = services.protected_report_submit(data=form.cleaned_data)
            except ApplicationError as exc:
                _put_error(form, exc)
            else:
                return _private(
                    render(
                        request,
                        "incidents/protected/receipt.html",
                        {"code": code, "anonymous": report.is_anonymous},
                    )
                )
        status = 400
    else:
        form = ReportForm()
        status = 200
    return _private(
        render(request, "incidents/protected/report_form.html", {"form": form}, status=status)
    )


@require_http_methods(["GET", "POST"])
@ratelimit(group=STATUS_GROUP, key="ip", rate=STATUS_RATE, method="POST", block=False)
def report_status(request):
    """Check a report's status with its receipt code, read replies, add information."""
    context = {"code_form": ReceiptCodeForm(), "report": None}
    status = 200
    if request.method == "POST":
        if getattr(request, "limited", False):
            return _rate_limited(request, group=STATUS_GROUP, rate=STATUS_RATE)
        if request.POST.get("action") == "add":
            status = _add_information(request, context)
        else:
            status = _look_up(request, context)
    return _private(render(request, "incidents/protected/status.html", context, status=status))


def _look_up(request, context) -> int:
    form = ReceiptCodeForm(request.POST)
    context["code_form"] = form
    if not form.is_valid():
        return 400
    report = services.protected_report_lookup(code=form.cleaned_data["code"])
    if report is None:
        form.add_error("code", NO_SUCH_REPORT)
        return 404
    _show_report(context, report, form.cleaned_data["code"])
    return 200


def _add_information(request, context) -> int:
    form = AddInformationForm(request.POST)
    code = request.POST.get("code", "")
    report = services.protected_report_lookup(code=code)
    if report is None:
        context["code_form"] = ReceiptCodeForm(initial={"code": ""})
        context["not_found"] = NO_SUCH_REPORT
        return 404
    if form.is_valid():
        try:
            services.protected_report_add_information(code=code, body=form.cleaned_data["body"])
        except NotFound:
            context["not_found"] = NO_SUCH_REPORT
            return 404
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            context["added"] = True
            form = None
    _show_report(context, report, code, add_form=form)
    return 200 if form is None else 400


def _show_report(context, report, code, add_form=None) -> None:
    context.update(
        report=report,
        replies=list(report.messages.order_by("at", "id")),
        can_add=report.status != ProtectedReportStatus.CLOSED,
        add_form=add_form or AddInformationForm(initial={"code": code}),
        code_form=None,
    )


# --- handlers' pages ---------------------------------------------------------------------


def _refused(request, message=None):
    message = message or _(
        "Protected-channel reports are handled by the ethics function and GRC staff. Others see "
        "a report's content once GRC has turned it into an incident."
    )
    return render(request, "incidents/refused.html", {"message": message}, status=403)


@login_required
@require_http_methods(["GET"])
def report_list(request):
    if not permissions.can_handle_protected_reports(request.user):
        return _refused(request)
    status = request.GET.get("status", "")
    reports = (
        ProtectedReport.objects.select_related("incident")
        .annotate(message_count=Count("messages"))
        .order_by("-created_at", "-id")
    )
    if status in ProtectedReportStatus.values:
        reports = reports.filter(status=status)
    else:
        status = ""
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return _private(
        render(
            request,
            "incidents/protected/list.html",
            {
                "page_obj": page,
                "reports": page.object_list,
                "status": status,
                "status_choices": STATUS_FILTER_CHOICES,
                "show_identity": permissions.can_see_reporter_identity(request.user),
            },
        )
    )


def _detail(request, report, *, status=200, **forms):
    user = request.user
    can_convert = permissions.can_convert_protected_report(user) and report.incident_id is None
    context = {
        "report": report,
        "replies": list(report.messages.select_related("author").order_by("at", "id")),
        "show_identity": permissions.can_see_reporter_identity(user),
        "relationship": services.ReporterRelationship(report.reporter_relationship).label
        if report.reporter_relationship in services.ReporterRelationship.values
        else "",
        "reply_form": forms.get("reply_form")
        or ReplyForm(initial={"public_status_note": report.public_status_note}),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": report.status}),
        "can_set_status": report.incident_id is None
        or report.status != ProtectedReportStatus.CLOSED,
        "can_convert": can_convert,
    }
    if can_convert:
        context["convert_form"] = forms.get("convert_form") or ConvertForm(
            initial={
                "title": _("Concern raised through the protected reporting channel"),
                "description": services.incident_text(report),
            }
        )
    return _private(render(request, "incidents/protected/detail.html", context, status=status))


def _handled_report(request, pk):
    if not permissions.can_handle_protected_reports(request.user):
        return None
    return get_object_or_404(ProtectedReport.objects.select_related("incident"), pk=pk)


@login_required
@require_http_methods(["GET"])
def report_detail(request, pk):
    report = _handled_report(request, pk)
    if report is None:
        return _refused(request)
    return _detail(request, report)


@login_required
@require_POST
def report_reply(request, pk):
    report = _handled_report(request, pk)
    if report is None:
        return _refused(request)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.protected_report_reply(
                actor=request.user,
                report=report,
                body=form.cleaned_data["body"],
                public_status_note=form.cleaned_data["public_status_note"],
            )
        except PermissionRefused as exc:
            return _refused(request, exc.message)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _("Your reply is visible to the reporter."))
            return redirect("protected:detail", pk=report.pk)
    return _detail(request, report, status=400, reply_form=form)


@login_required
@require_POST
def report_set_status(request, pk):
    report = _handled_report(request, pk)
    if report is None:
        return _refused(request)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.protected_report_set_status(
                actor=request.user, report=report, status=form.cleaned_data["status"]
            )
        except PermissionRefused as exc:
            return _refused(request, exc.message)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("protected:detail", pk=report.pk)
    return _detail(request, report, status=400, status_form=form)


@login_required
@require_POST
def report_convert(request, pk):
    report = _handled_report(request, pk)
    if report is None or not permissions.can_convert_protected_report(request.user):
        return _refused(
            request,
            _(
                "Only GRC staff turn a protected report into an incident; the ethics function "
                "can reply to the reporter and change the report's status."
            ),
        )
    form = ConvertForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.protected_report_convert(
                actor=request.user,
                report=report,
                system_ids=[system.pk for system in data["systems"]],
                title=data["title"],
                description=data["description"],
                restricted=data["restricted"],
            )
        except PermissionRefused as exc:
            return _refused(request, exc.message)
        except Conflict as exc:  # converted meanwhile, by someone else
            messages.error(request, exc.message)
            return redirect("protected:detail", pk=report.pk)
        except ApplicationError as exc:
            _put_error(form, exc)
        else:
            messages.success(
                request,
                _("Incident %s opened from the protected report.") % incident.reference,
            )
            return redirect(incident.get_absolute_url())
    return _detail(request, report, status=400, convert_form=form)
