"""One AI system's evidence trail as a PDF: each step from requirement to risks with its
records, and every gap flagged with what is missing — what the trail page shows
(``risk.trail.system_trail``), read when the worker builds it, as the requester may see it then.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import PermissionRefused
from risk import trail

from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

STYLESHEET = "case-file.css"
TEMPLATE = "reporting/system_trail.html"
TRAIL_TIME_LIMIT_S = 60  # a few pages


def trail_system(user, system_id):
    system = trail.trail_system(user, system_id)
    if system is None:
        raise PermissionRefused(_("This AI system does not exist or you may not read its trail."))
    return system


def render_system_trail(*, system, user, generated_at=None, run_id=None) -> bytes:
    context = trail.system_trail(user, system, now=generated_at)
    context.update(
        generated_by=user,
        run_id=run_id,
        time_zone=timezone.get_current_timezone_name(),
    )
    return render_pdf(render_to_string(TEMPLATE, context), stylesheet=STYLESHEET).content


@builder(ReportKind.SYSTEM_TRAIL_PDF, soft_time_limit=TRAIL_TIME_LIMIT_S)
def build_system_trail(run, progress) -> BuiltFile:
    """Builder of ``SYSTEM_TRAIL_PDF`` runs: ``params = {"system": pk}``."""
    progress(0, 1)
    system = trail_system(run.requested_by, run.params.get("system"))
    pdf = render_system_trail(system=system, user=run.requested_by, run_id=run.pk)
    progress(1, 1)
    stamp = timezone.localdate().isoformat()
    return BuiltFile(
        content=pdf,
        file_name=f"{system.reference}-evidence-trail-{stamp}.pdf",
        media_type="application/pdf",
    )
