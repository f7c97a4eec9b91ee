"""The management-review pack (ISO/IEC 42001 clause 9.3) and its browser dashboard.

One set of figures (``reporting.metrics.period_metrics``) and one set of charts
(``reporting.charts``) feed both: the dashboard at ``/reports/review/dashboard/`` and the PDF
built here by ``build_review_pack`` for a ``ReportKind.REVIEW_PACK`` run.

The pack is anonymised: it is read by management and may travel beyond the people who may see
individual incidents. It names no person — no reporter, lead, participant or requester (the
footer gives the requester's role) — and carries no free text typed by users (titles,
descriptions, notes may contain names). Incidents appear only by reference; systems by
reference and name (systems are not people).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aims.accounts.choices import Role
from aims.core.exceptions import ApplicationError, PermissionRefused, ValidationFailed

from . import charts, metrics, permissions, services
from .choices import ReportKind
from .services import BuiltFile, builder

STYLESHEET = settings.BASE_DIR / "static" / "css" / "review-pack.css"
TEMPLATE = "reporting/review_pack.html"


def role_label(user) -> str:
    """The requester as the pack shows them: by role, never by name."""
    names = [str(role.label) for role in Role if role.value in user.role_names]
    if not names and user.is_superuser:
        names = [_("Administrator")]
    return ", ".join(names) or _("No role")


def review_context(*, period: metrics.Period, user, now=None) -> dict:
    """What the dashboard and the pack render: the figures and their charts."""
    figures = metrics.period_metrics(start=period.start, end=period.end, user=user, now=now)
    return {"period": period, "m": figures, "charts": charts.review_charts(figures)}


# --- the PDF -----------------------------------------------------------------------------


def _url_fetcher():
    """Nothing in the pack comes from outside: the stylesheet is passed as a string, the charts
    are inline SVG and fonts come from the system. Any other URL is refused, not fetched."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, timeout=1)


def render_review_pack(*, period: metrics.Period, user, now=None, run_id=None) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    now = now or timezone.now()
    context = review_context(period=period, user=user, now=now)
    context.update(
        generated_at=now,
        requester_role=role_label(user),
        run_id=run_id,
        time_zone=timezone.get_current_timezone_name(),
    )
    html = render_to_string(TEMPLATE, context)
    fonts = FontConfiguration()
    fetcher = _url_fetcher()
    stylesheet = CSS(
        string=STYLESHEET.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=fetcher
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=fonts
    )


@builder(ReportKind.REVIEW_PACK)
def build_review_pack(run, progress) -> BuiltFile:
    """Builder of ``REVIEW_PACK`` runs: ``params = {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}``
    (end not included). The figures are those the requester may see."""
    if not permissions.can_request(run.requested_by, ReportKind.REVIEW_PACK):
        raise PermissionRefused(_("Your role cannot generate the management-review pack."))
    period = metrics.parse_period(run.params.get("start"), run.params.get("end"))
    progress(0, 2)
    pdf = render_review_pack(period=period, user=run.requested_by, run_id=run.pk)
    progress(2, 2)
    return BuiltFile(
        content=pdf,
        file_name=f"management-review-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}.pdf",
        media_type="application/pdf",
    )


# --- the dashboard -----------------------------------------------------------------------


def _require_allowed(user) -> None:
    if not permissions.can_request(user, ReportKind.REVIEW_PACK):
        raise PermissionDenied(_("Your role cannot see the management-review figures."))


def period_from_query(query, *, today: date | None = None) -> tuple[metrics.Period, str, dict]:
    """The dashboard's period: a preset (``?preset=``) or custom dates (``?from=&to=``, both
    included). Returns ``(period, preset or "custom", errors by field)``; on an error, the
    default period is shown with the message."""
    preset = query.get("preset", "")
    start_text, to_text = query.get("from", "").strip(), query.get("to", "").strip()
    if preset in metrics.PRESETS or not (start_text or to_text):
        name = preset if preset in metrics.PRESETS else "90d"
        return metrics.preset_period(name, today=today), name, {}
    try:
        start = metrics.as_date(start_text, "from") if start_text else None
        last = metrics.as_date(to_text, "to") if to_text else None
        if start and last and start > last:
            raise ValidationFailed(_("The “from” date must not be after the “to” date."))
        period = metrics.parse_period(
            start, last + timedelta(days=1) if last else None, today=today
        )
    except ApplicationError as exc:
        return metrics.default_period(today), "90d", {"period": exc.message}
    return period, "custom", {}


@login_required
def dashboard(request):
    _require_allowed(request.user)
    period, preset, errors = period_from_query(request.GET)
    context = review_context(period=period, user=request.user)
    context.update(
        preset=preset,
        presets=[{"key": key, "label": label} for key, label in metrics.PRESETS.items()],
        errors=errors,
        custom_from=request.GET.get("from", ""),
        custom_to=request.GET.get("to", ""),
    )
    return render(request, "reporting/dashboard.html", context)


@login_required
@require_POST
def review_new(request):
    """Request the PDF pack for the dashboard's period; the run page shows its progress."""
    _require_allowed(request.user)
    try:
        period = metrics.parse_period(request.POST.get("start"), request.POST.get("end"))
        run = services.report_request(
            actor=request.user, kind=ReportKind.REVIEW_PACK, params=period.as_params()
        )
    except PermissionRefused as exc:
        raise PermissionDenied(exc.message) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("reporting:dashboard")
    services.report_queue(run)
    return redirect("reporting:run-detail", run.pk)
