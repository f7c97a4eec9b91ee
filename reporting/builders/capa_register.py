"""The CAPA register as CSV or XLSX: every corrective and preventive action its requester may
see, with the register page's filters, its incidents, root-cause category, effectiveness
check and the "possibly ineffective" mark.

The run's ``params`` are the register's filters as query parameters; the rows are read again
for the requesting user when the run executes (``capa.selectors.register``), so a file holds
only the CAPAs its requester may see, and of their incidents only those they see. Text cells a
spreadsheet would read as a formula are neutralised as in the incident register export.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import PermissionRefused, ValidationFailed
from capa import selectors as capa_selectors
from capa.choices import (
    ActionSource,
    ActionStatus,
    ActionType,
    CheckResult,
    Horizon,
    RootCauseCategory,
)
from capa.filters import CapaFilter
from capa.models import CorrectiveAction

from .. import permissions
from ..choices import ReportKind
from ..registry import BuiltFile, builder
from .register import MEDIA_TYPES, neutralise

TIME_LIMIT_S = 300
CHUNK_SIZE = 500

COLUMNS = (
    (gettext_lazy("Reference"), 12),
    (gettext_lazy("Title"), 45),
    (gettext_lazy("Type"), 14),
    (gettext_lazy("Source"), 16),
    (gettext_lazy("Source detail"), 24),
    (gettext_lazy("Status"), 14),
    (gettext_lazy("Horizon"), 14),
    (gettext_lazy("Due (UTC)"), 20),
    (gettext_lazy("Owner"), 18),
    (gettext_lazy("Implementer"), 18),
    (gettext_lazy("Root-cause category"), 24),
    (gettext_lazy("Incidents"), 24),
    (gettext_lazy("Audit finding"), 12),
    (gettext_lazy("Effectiveness check"), 12),
    (gettext_lazy("Possibly ineffective"), 10),
    (gettext_lazy("Follows"), 12),
    (gettext_lazy("Created at (UTC)"), 20),
)
_LABELS = {
    "type": dict(ActionType.choices),
    "source": dict(ActionSource.choices),
    "status": dict(ActionStatus.choices),
    "horizon": dict(Horizon.choices),
    "category": dict(RootCauseCategory.choices),
    "check": dict(CheckResult.choices),
}


def validate_params(params: dict) -> dict:
    """The register's filters as stored in the run: refused now when the register would refuse
    them, in the register's words."""
    data = _query(params)
    filterset = CapaFilter(data, queryset=CorrectiveAction.objects.none())
    if not filterset.is_valid():
        raise ValidationFailed(
            " ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items()),
            fields=dict(filterset.errors),
        )
    return {key: data.getlist(key) for key in data if key in CapaFilter.base_filters}


def _query(params) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in (params or {}).items():
        data.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    return data


def _utc(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else ""


def _label(kind, value) -> str:
    return str(_LABELS[kind].get(value, value or ""))


def _rows(run):
    user = run.requested_by
    if not permissions.can_request(user, run.kind):
        raise PermissionRefused(_("Your role cannot export the CAPA register."))
    capas = CapaFilter(_query(run.params), queryset=capa_selectors.register(user)).qs.order_by(
        "reference", "id"
    )
    for capa in capas.iterator(chunk_size=CHUNK_SIZE):
        check = getattr(capa, "effectiveness_check", None)
        yield [
            capa.reference,
            capa.title,
            _label("type", capa.action_type),
            _label("source", capa.source),
            capa.source_detail,
            _label("status", capa.status),
            _label("horizon", capa.horizon),
            _utc(capa.due_at),
            capa.owner.get_username(),
            capa.implementer.get_username() if capa.implementer else "",
            _label("category", capa.root_cause_category),
            ", ".join(link.incident.reference for link in capa.links.all()),
            capa.finding.reference if capa.finding else "",
            _label("check", check.result) if check else "",
            _("yes") if capa.possibly_ineffective else "",
            capa.follows.reference if capa.follows else "",
            _utc(capa.created_at),
        ]


def _name(ext: str) -> str:
    return f"capa-register-{timezone.now().astimezone(UTC):%Y%m%d-%H%M}.{ext}"


@builder(ReportKind.CAPA_REGISTER_CSV, soft_time_limit=TIME_LIMIT_S)
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


@builder(ReportKind.CAPA_REGISTER_XLSX, soft_time_limit=TIME_LIMIT_S)
def build_xlsx(run, progress) -> BuiltFile:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = workbook.add_worksheet(_("CAPAs"))
    heading = workbook.add_format({"bold": True})
    for col, (text, width) in enumerate(COLUMNS):
        sheet.write_string(0, col, str(text), heading)
        sheet.set_column(col, col, width)
    count = 0
    for count, values in enumerate(_rows(run), start=1):
        for col, value in enumerate(values):
            if value:
                sheet.write_string(count, col, neutralise(value))
    workbook.close()
    progress(count, count)
    return BuiltFile(
        content=buffer.getvalue(), file_name=_name("xlsx"), media_type=MEDIA_TYPES["xlsx"]
    )
