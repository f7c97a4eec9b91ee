"""The management-review pack (ISO/IEC 42001 clause 9.3) as a PDF.

One set of figures (``reporting.selectors.period_metrics``) and one set of charts
(``reporting.charts``) feed both the browser dashboard and this pack, so they cannot disagree.

The pack is anonymised: it is read by management and may travel beyond the people who may see
individual incidents. It names no person — no reporter, lead, participant or requester (the
footer gives the requester's role) — and carries no free text typed by users (titles,
descriptions, notes may contain names). Incidents appear only by reference; systems by
reference and name (systems are not people).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.accounts.choices import Role
from aims.core.exceptions import PermissionRefused

from .. import charts, permissions, rules, selectors
from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

STYLESHEET = "review-pack.css"
TEMPLATE = "reporting/review_pack.html"
REVIEW_PACK_TIME_LIMIT_S = 120  # six aggregate queries and four charts: seconds


def role_label(user) -> str:
    """The requester as the pack shows them: by role, never by name."""
    names = [str(role.label) for role in Role if role.value in user.role_names]
    if not names and user.is_superuser:
        names = [_("Administrator")]
    return ", ".join(names) or _("No role")


def review_context(*, period: rules.Period, user, now=None) -> dict:
    """What the dashboard and the pack render: the figures and their charts."""
    figures = selectors.period_metrics(start=period.start, end=period.end, user=user, now=now)
    return {"period": period, "m": figures, "charts": charts.review_charts(figures)}


def render_review_pack(*, period: rules.Period, user, now=None, run_id=None) -> bytes:
    now = now or timezone.now()
    context = review_context(period=period, user=user, now=now)
    context.update(
        generated_at=now,
        requester_role=role_label(user),
        run_id=run_id,
        time_zone=timezone.get_current_timezone_name(),
    )
    return render_pdf(render_to_string(TEMPLATE, context), stylesheet=STYLESHEET).content


@builder(ReportKind.REVIEW_PACK, soft_time_limit=REVIEW_PACK_TIME_LIMIT_S)
def build_review_pack(run, progress) -> BuiltFile:
    """Builder of ``REVIEW_PACK`` runs: ``params = {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}``
    (end not included). The figures are those the requester may see."""
    if not permissions.can_request(run.requested_by, ReportKind.REVIEW_PACK):
        raise PermissionRefused(_("Your role cannot generate the management-review pack."))
    period = rules.parse_period(run.params.get("start"), run.params.get("end"))
    progress(0, 2)
    pdf = render_review_pack(period=period, user=run.requested_by, run_id=run.pk)
    progress(2, 2)
    return BuiltFile(
        content=pdf,
        file_name=f"management-review-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}.pdf",
        media_type="application/pdf",
    )
