"""The protected reporting channel: concerns raised without an account (ISO/IEC 42001 A.3.3).

What always holds:

- The reporter needs no account. They get a receipt code once; only its SHA-256 is stored, so
  the code cannot be read back from the database, and a lookup is a search by hash.
- The reporter's identity (name, e-mail, phone), when given, is seen only by the ethics
  function and GRC. It is excluded from the model's history on purpose, so it stays out of the
  audit tables, and it never reaches an incident: converting copies the report's text only.
- Only GRC converts a report into an incident ("others see the report content only once GRC
  turns it into an incident"); the report and the incident are linked both ways.
- Every write runs in one audited transaction; handlers are checked here, whatever the caller.
"""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.core.exceptions import Conflict, NotFound, ValidationFailed
from aims.core.permissions import require
from aims.core.services import audited_write, model_save
from inventory.models import AISystem

from .. import events, permissions
from ..choices import DetectionSource, ProtectedReportStatus
from ..models import Incident, ProtectedReport, ProtectedReportMessage
from .incidents import _incident_create

# Unambiguous when read aloud or copied by hand: no 0/O, 1/I/L. 31 symbols, 16 of them: 79 bits.
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECEIPT_GROUPS = 4
RECEIPT_GROUP_LENGTH = 4
RECEIPT_LENGTH = RECEIPT_GROUPS * RECEIPT_GROUP_LENGTH
MAX_REPORT = 10000
MAX_MESSAGE = 10000
MAX_TITLE = 250
SUBMIT_FIELDS = frozenset(
    {
        "description",
        "system_description",
        "occurred_at_text",
        "reporter_relationship",
        "contact_name",
        "contact_email",
        "contact_phone",
    }
)
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")
DEFAULT_INCIDENT_TITLE = gettext_lazy("Concern raised through the protected reporting channel")


class ReporterRelationship(models.TextChoices):
    """How the reporter relates to the organization (optional; not an identity)."""

    EMPLOYEE = "employee", gettext_lazy("An employee or contractor")
    USER = "user", gettext_lazy("A user of one of our AI systems")
    CUSTOMER = "customer", gettext_lazy("A customer")
    OTHER = "other", gettext_lazy("Other")


# Statuses a handler sets by hand. "Converted" is reached only by converting.
SETTABLE_STATUSES = (
    ProtectedReportStatus.RECEIVED,
    ProtectedReportStatus.UNDER_REVIEW,
    ProtectedReportStatus.CLOSED,
)


# --- receipt codes -----------------------------------------------------------------------


def _new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(
        raw[i : i + RECEIPT_GROUP_LENGTH] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP_LENGTH)
    )


def normalise_receipt_code(code) -> str | None:
    """Upper case, without spaces or dashes; None when it cannot be a receipt code."""
    if not isinstance(code, str):
        return None
    text = "".join(ch for ch in code.upper() if ch not in " -\t\r\n")
    if len(text) != RECEIPT_LENGTH or any(ch not in RECEIPT_ALPHABET for ch in text):
        return None
    return text


def receipt_hash(code: str) -> str:
    """SHA-256 of the normalised code. 79 random bits make the hash itself not worth guessing."""
    return hashlib.sha256(normalise_receipt_code(code).encode()).hexdigest()


# --- helpers -----------------------------------------------------------------------------


def _clean_text(value, name: str, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("%s must be text.") % name, fields={name: ["invalid"]})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(
            _("Please describe what happened."), fields={name: [_("This field is required.")]}
        )
    if len(value) > max_length:
        raise ValidationFailed(
            _("%(name)s is at most %(max)d characters.") % {"name": name, "max": max_length},
            fields={name: [_("At most %d characters.") % max_length]},
        )
    return value


def _require_handler(actor) -> None:
    require(permissions.can_handle_protected_reports(actor))


def _lock(report: ProtectedReport) -> ProtectedReport:
    return ProtectedReport.objects.select_for_update(no_key=True).get(pk=report.pk)


def _message(*, report, body, actor=None, from_reporter: bool) -> ProtectedReportMessage:
    message = ProtectedReportMessage(
        report=report,
        body=body,
        from_reporter=from_reporter,
        author=actor if getattr(actor, "pk", None) else None,
    )
    return model_save(message, actor=actor, lookups=False)  # the report and author are in hand


# --- the reporter ------------------------------------------------------------------------


@audited_write
def protected_report_submit(*, data: dict) -> tuple[ProtectedReport, str]:
    """Record a concern from anyone, with or without contact details.

    Returns the report and its receipt code. The code is shown to the reporter once and is
    never stored: only its hash is.
    """
    unknown = set(data) - SUBMIT_FIELDS
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown))
        )
    relationship = _clean_text(
        data.get("reporter_relationship"), "reporter_relationship", max_length=30
    )
    if relationship and relationship not in ReporterRelationship.values:
        raise ValidationFailed(
            _("Choose how you relate to us from the list, or leave it blank."),
            fields={"reporter_relationship": ["invalid"]},
        )
    report = ProtectedReport(
        description=_clean_text(
            data.get("description"), "description", max_length=MAX_REPORT, required=True
        ),
        system_description=_clean_text(
            data.get("system_description"), "system_description", max_length=300
        ),
        occurred_at_text=_clean_text(
            data.get("occurred_at_text"), "occurred_at_text", max_length=200
        ),
        reporter_relationship=relationship,
        contact_name=_clean_text(data.get("contact_name"), "contact_name", max_length=200),
        contact_email=_clean_text(data.get("contact_email"), "contact_email", max_length=254),
        contact_phone=_clean_text(data.get("contact_phone"), "contact_phone", max_length=50),
        status=ProtectedReportStatus.RECEIVED,
    )
    code = _new_receipt_code()
    while ProtectedReport.objects.filter(receipt_hash=receipt_hash(code)).exists():
        code = _new_receipt_code()  # 31**16 codes: practically never taken
    report.receipt_hash = receipt_hash(code)
    model_save(report, actor=None, lookups=False)  # the receipt was checked free just above
    return report, code


def protected_report_lookup(*, code) -> ProtectedReport | None:
    """The report with this receipt code, or None.

    Case, spaces and dashes do not matter. The search is by hash (an indexed equality on the
    unique column), so the time it takes says nothing about how close a guess was.
    """
    normalised = normalise_receipt_code(code)
    if normalised is None:
        return None
    return ProtectedReport.objects.filter(receipt_hash=receipt_hash(normalised)).first()


@audited_write
def protected_report_add_information(*, code, body) -> ProtectedReportMessage:
    """The reporter adds information to their report (refused once it is closed)."""
    report = protected_report_lookup(code=code)
    if report is None:
        raise NotFound(_("There is no report with that code. Check the code and try again."))
    report = _lock(report)
    if report.status == ProtectedReportStatus.CLOSED:
        raise Conflict(
            _(
                "This report is closed, so no information can be added to it. If something new "
                "has happened, please make a new report."
            )
        )
    body = _clean_text(body, "body", max_length=MAX_MESSAGE)
    if not body:
        raise ValidationFailed(
            _("Write the information you want to add."), fields={"body": ["required"]}
        )
    message = _message(report=report, body=body, from_reporter=True)
    if report.incident_id:
        # Tell the incident team, without the content (it may identify the reporter).
        events.protected_report_event(
            incident=report.incident,
            actor=None,
            summary=_(
                "The reporter added information on the protected channel; the ethics function "
                "and GRC can read it."
            ),
        )
    return message


# --- the handlers (ethics, GRC) ----------------------------------------------------------


@audited_write
def protected_report_reply(
    *, actor, report: ProtectedReport, body: str, public_status_note: str | None = None
) -> ProtectedReportMessage | None:
    """Reply to the reporter, and optionally change the note shown with the report's status.

    Both are visible to the reporter at ``/report/status/``. A first reply to a report still
    "received" moves it to "under review".
    """
    _require_handler(actor)
    report = _lock(report)
    body = _clean_text(body, "body", max_length=MAX_MESSAGE)
    note = None
    if public_status_note is not None:
        note = _clean_text(public_status_note, "public_status_note", max_length=MAX_MESSAGE)
    if not body and (note is None or note == report.public_status_note):
        raise ValidationFailed(
            _("Write a reply, or change the message shown with the status."),
            fields={"body": ["required"]},
        )
    message = _message(report=report, body=body, actor=actor, from_reporter=False) if body else None
    if note is not None:
        report.public_status_note = note
    if report.status == ProtectedReportStatus.RECEIVED:
        report.status = ProtectedReportStatus.UNDER_REVIEW
    model_save(report, actor=actor)
    return message


@audited_write
def protected_report_set_status(*, actor, report: ProtectedReport, status: str) -> ProtectedReport:
    """Received, under review or closed. "Converted" is reached only by converting."""
    _require_handler(actor)
    report = _lock(report)
    if status == ProtectedReportStatus.CONVERTED:
        raise ValidationFailed(
            _("A report becomes 'being handled as an incident' only by converting it."),
            fields={"status": ["invalid"]},
        )
    if status not in SETTABLE_STATUSES:
        raise ValidationFailed(_("Unknown status %r.") % (status,), fields={"status": ["invalid"]})
    if report.status == status:
        raise ValidationFailed(
            _("The report is already %s.") % ProtectedReportStatus(status).label,
            fields={"status": ["unchanged"]},
        )
    if report.incident_id and status != ProtectedReportStatus.CLOSED:
        raise ValidationFailed(
            _("This report is handled as incident %s; it can only be closed now.")
            % report.incident.reference,
            fields={"status": ["invalid"]},
        )
    report.status = status
    model_save(report, actor=actor)
    return report


def incident_text(report: ProtectedReport) -> str:
    """What an incident may carry of a report: its content, never the reporter's contact
    details."""
    lines = [report.description.strip(), ""]
    if report.system_description:
        lines.append(_("AI system or service, as reported: %s") % report.system_description)
    if report.occurred_at_text:
        lines.append(_("When it happened, as reported: %s") % report.occurred_at_text)
    if report.reporter_relationship in ReporterRelationship.values:
        lines.append(
            _("The reporter is: %s")
            % ReporterRelationship(report.reporter_relationship).label.lower()
        )
    lines.append(
        _("Received through the protected reporting channel on %s.")
        % timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M %Z")
    )
    return "\n".join(lines).strip()


@audited_write
def protected_report_convert(
    *,
    actor,
    report: ProtectedReport,
    system_ids=(),
    title: str = "",
    description: str | None = None,
    restricted: bool = False,
) -> Incident:
    """Turn a report into an incident (GRC only), linked both ways.

    The incident's description is the report's content (``incident_text``) unless GRC gives
    an edited one, e.g. with anything that could identify the reporter taken out; the
    reporter's contact details never go across. ``restricted`` keeps the incident to its
    participants and GRC (for concerns about staff).
    """
    require(permissions.can_convert_protected_report(actor))
    report = _lock(report)
    if report.incident_id or report.status == ProtectedReportStatus.CONVERTED:
        raise Conflict(_("This report is already an incident."))
    try:
        ids = {int(pk) for pk in system_ids}
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(
            _("AI systems are given by their ids."), fields={"systems": ["invalid"]}
        ) from exc
    systems = list(AISystem.objects.filter(pk__in=ids).order_by("reference"))
    if len(systems) != len(ids):
        raise ValidationFailed(
            _("Some of the chosen AI systems do not exist."), fields={"systems": ["unknown"]}
        )
    title = _clean_text(title, "title", max_length=MAX_TITLE) or str(DEFAULT_INCIDENT_TITLE)
    if description is None or not description.strip():
        description = incident_text(report)
    else:
        description = _clean_text(description, "description", max_length=MAX_REPORT + 2000)
    incident = _incident_create(
        actor=actor,
        data={
            "title": title,
            "description": description,
            "detection_source": DetectionSource.PROTECTED_CHANNEL,
            "detected_at": report.created_at,
            "restricted": bool(restricted),
        },
        systems=systems,
        actor_label="Protected channel",
        check_permission=False,
    )
    report.incident = incident
    report.status = ProtectedReportStatus.CONVERTED
    model_save(report, actor=actor, lookups=False)  # the incident was filed just now
    events.protected_report_event(
        incident=incident,
        actor=actor,
        summary=_(
            "Opened from protected report #%(pk)s received %(at)s. The reporter's identity stays "
            "with the ethics function and GRC."
        )
        % {
            "pk": report.pk,
            "at": timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return incident
