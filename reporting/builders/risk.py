"""The risk module's documents: the filtered risk register as CSV or XLSX, and the Statement
of Applicability as a PDF an auditor can take away.

The register's ``params`` are the register page's filters as query parameters; the rows are
read again for the requesting user when the run executes (``risk.selectors``), so a file holds
only the risks its requester may see. Text cells that a spreadsheet would read as a formula are
neutralised as in the incident register export. The SoA PDF draws the heat maps with
``risk.charts.heat_map_svg`` — the chart the pages show.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC

from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import PermissionRefused, ValidationFailed
from risk import charts as risk_charts
from risk import selectors as risk_selectors
from risk.choices import RiskCategory, RiskStatus, Treatment
from risk.filters import RiskFilter
from risk.models import Risk

from .. import permissions
from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder
from .register import MEDIA_TYPES, neutralise
from .review_pack import role_label

TIME_LIMIT_S = 300
SOA_TEMPLATE = "reporting/soa.html"

COLUMNS = (
    (gettext_lazy("Reference"), 12),
    (gettext_lazy("Title"), 45),
    (gettext_lazy("Status"), 10),
    (gettext_lazy("Category"), 24),
    (gettext_lazy("Tags"), 30),
    (gettext_lazy("AI systems"), 20),
    (gettext_lazy("Owner"), 18),
    (gettext_lazy("Inherent likelihood"), 8),
    (gettext_lazy("Inherent impact"), 8),
    (gettext_lazy("Inherent score"), 8),
    (gettext_lazy("Inherent band"), 10),
    (gettext_lazy("Treatment"), 10),
    (gettext_lazy("Annex A controls"), 24),
    (gettext_lazy("Residual likelihood"), 8),
    (gettext_lazy("Residual impact"), 8),
    (gettext_lazy("Residual score"), 8),
    (gettext_lazy("Residual band"), 10),
    (gettext_lazy("Methodology version"), 8),
    (gettext_lazy("Next review"), 12),
    (gettext_lazy("Updated at (UTC)"), 20),
)
_STATUS, _CATEGORY, _TREATMENT = (
    dict(RiskStatus.choices),
    dict(RiskCategory.choices),
    dict(Treatment.choices),
)


def validate_params(params: dict) -> dict:
    """The register's filters as stored in the run: refused now when the register would refuse
    them, in the register's words."""
    data = QueryDict(mutable=True)
    for key, values in params.items():
        data.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    filterset = RiskFilter(data, queryset=Risk.objects.none())
    if not filterset.is_valid():
        raise ValidationFailed(
            " ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
            fields=dict(filterset.errors),
        )
    return {key: data.getlist(key) for key in data if key in RiskFilter.base_filters}


def _rows(run):
    user = run.requested_by
    if not permissions.can_request(user, run.kind):
        raise PermissionRefused(_("Your role cannot export the risk register."))
    data = QueryDict(mutable=True)
    for key, values in (run.params or {}).items():
        data.setlist(key, values)
    risks = RiskFilter(data, queryset=risk_selectors.risks_visible_to(user)).qs.order_by(
        "reference", "id"
    )
    labels = risk_selectors.tag_labels()
    for risk in risk_selectors.with_lists(risks).iterator(chunk_size=500):
        yield [
            risk.reference,
            risk.title,
            str(_STATUS.get(risk.status, risk.status)),
            str(_CATEGORY.get(risk.category, risk.category)),
            "; ".join(labels.get(code, code) for code in risk.tags),
            ", ".join(rs.system.reference for rs in risk.risk_systems.all()),
            risk.owner.get_username(),
            risk.inherent_likelihood,
            risk.inherent_impact,
            risk.inherent_score,
            risk.inherent_band,
            str(_TREATMENT.get(risk.treatment, risk.treatment or "")),
            ", ".join(rc.control.code for rc in risk.risk_controls.all()),
            risk.residual_likelihood,
            risk.residual_impact,
            risk.residual_score,
            risk.residual_band,
            risk.methodology.version,
            risk.next_review_date.isoformat() if risk.next_review_date else "",
            risk.updated_at.astimezone(UTC).isoformat(timespec="seconds"),
        ]


def _name(ext: str) -> str:
    return f"risk-register-{timezone.now().astimezone(UTC):%Y%m%d-%H%M}.{ext}"


@builder(ReportKind.RISK_REGISTER_CSV, soft_time_limit=TIME_LIMIT_S)
def build_csv(run, progress) -> BuiltFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([str(heading) for heading, _w in COLUMNS])
    count = 0
    for values in _rows(run):
        writer.writerow(["" if v is None else neutralise(v) for v in values])
        count += 1
    progress(count, count)
    return BuiltFile(
        content=buffer.getvalue().encode("utf-8"),
        file_name=_name("csv"),
        media_type=MEDIA_TYPES["csv"],
    )


@builder(ReportKind.RISK_REGISTER_XLSX, soft_time_limit=TIME_LIMIT_S)
def build_xlsx(run, progress) -> BuiltFile:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(_("Risks"))
    heading = workbook.add_format({"bold": True})
    for col, (text, width) in enumerate(COLUMNS):
        sheet.write_string(0, col, str(text), heading)
        sheet.set_column(col, col, width)
    count = 0
    for count, values in enumerate(_rows(run), start=1):
        for col, value in enumerate(values):
            if isinstance(value, int):
                sheet.write_number(count, col, value)
            elif value is not None:
                sheet.write_string(count, col, neutralise(value))
    workbook.close()
    progress(count, count)
    return BuiltFile(
        content=buffer.getvalue(), file_name=_name("xlsx"), media_type=MEDIA_TYPES["xlsx"]
    )


def soa_context(user, now=None) -> dict:
    now = now or timezone.now()
    methodology = risk_selectors.methodology_in_force()
    risks = risk_selectors.risks_visible_to(user).exclude(status=RiskStatus.CLOSED)
    method = methodology.method
    return {
        "rows": risk_selectors.evidence_map(today=timezone.localdate(now)),
        "methodology": methodology,
        "inherent_map": risk_charts.heat_map_svg(
            method, risk_selectors.heat_counts(risks, "inherent"), title=_("Inherent risk")
        ),
        "residual_map": risk_charts.heat_map_svg(
            method, risk_selectors.heat_counts(risks, "residual"), title=_("Residual risk")
        ),
        "generated_at": now,
        "requester_role": role_label(user),
    }


@builder(ReportKind.SOA_PDF, soft_time_limit=120)
def build_soa(run, progress) -> BuiltFile:
    user = run.requested_by
    if not permissions.can_request(user, run.kind):
        raise PermissionRefused(_("Your role cannot read the Statement of Applicability."))
    progress(0, 1)
    html = render_to_string(SOA_TEMPLATE, soa_context(user))
    pdf = render_pdf(html, stylesheet="review-pack.css")
    progress(1, 1)
    return BuiltFile(
        content=pdf.content,
        file_name=f"statement-of-applicability-{timezone.now():%Y%m%d}.pdf",
        media_type=MEDIA_TYPES["pdf"],
    )
