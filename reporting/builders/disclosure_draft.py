"""A regulatory report draft as a PDF: what the draft says, its gaps marked, the obligation it
is for, the incident's reference, and whether legal approved it.

The drafts themselves are the disclosure module's (``disclosure.drafts``, pre-filled from the
record into a ``Communication`` that legal approves): this builder only lays one out, so the PDF
always says exactly what the editable text says. What the record did not hold is written in the
text as ``[to complete: …]``; the PDF marks each of those gaps and lists them on the first page,
so a reader sees at once what is still missing. Until legal approves the communication, every
page says "Draft — not yet approved".
"""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.exceptions import PermissionRefused, ValidationFailed
from disclosure import selectors as disclosure_selectors

from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

STYLESHEET = "report-draft.css"
TEMPLATE = "reporting/disclosure_draft.html"
DRAFT_TIME_LIMIT_S = 60  # one or two pages of text
GAP_RE = re.compile(r"\[to complete: ([^\]]*)\]")


def draft_communication(user, communication_id):
    """The communication, if ``user`` may see it and it is the draft of a report for an
    obligation (other messages are not regulatory reports)."""
    communication = (
        disclosure_selectors.communications_visible_to(user)
        .select_related("obligation", "obligation__assessment")
        .filter(pk=communication_id)
        .first()
    )
    if communication is None:
        raise PermissionRefused(_("This communication does not exist or you cannot see it."))
    if communication.obligation_id is None:
        raise ValidationFailed(
            _("Only a report drafted for an obligation is made into a report draft PDF.")
        )
    return communication


def segments(text: str) -> list[list[tuple[bool, str]]]:
    """The text line by line, each line as (is_gap, text) pieces: the template marks the gaps."""
    lines = []
    for line in text.splitlines():
        pieces, at = [], 0
        for match in GAP_RE.finditer(line):
            if match.start() > at:
                pieces.append((False, line[at : match.start()]))
            pieces.append((True, match.group(0)))
            at = match.end()
        if at < len(line):
            pieces.append((False, line[at:]))
        lines.append(pieces)
    return lines


def render_disclosure_draft(*, communication, user, generated_at=None, run_id=None) -> bytes:
    obligation = communication.obligation
    context = {
        "c": communication,
        "o": obligation,
        "incident": communication.incident,
        "lines": segments(communication.content),
        "gaps": GAP_RE.findall(communication.content),
        "approved": communication.approved_at is not None,
        "generated_at": generated_at or timezone.now(),
        "generated_by": user,
        "run_id": run_id,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render_pdf(render_to_string(TEMPLATE, context), stylesheet=STYLESHEET).content


@builder(ReportKind.DISCLOSURE_DRAFT, soft_time_limit=DRAFT_TIME_LIMIT_S)
def build_disclosure_draft(run, progress) -> BuiltFile:
    """Builder of ``DISCLOSURE_DRAFT`` runs: ``params = {"communication": pk}``. The text is
    read when the worker builds it, as the requester may see it then."""
    progress(0, 1)
    communication = draft_communication(run.requested_by, run.params.get("communication"))
    pdf = render_disclosure_draft(communication=communication, user=run.requested_by, run_id=run.pk)
    progress(1, 1)
    obligation = communication.obligation
    return BuiltFile(
        content=pdf,
        file_name=f"{communication.incident.reference}-{obligation.code}-draft-{communication.pk}.pdf",
        media_type="application/pdf",
    )
