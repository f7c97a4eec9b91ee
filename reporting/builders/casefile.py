"""The case file: one incident's complete record as a PDF an auditor can read cold.

``case_file_context`` gathers everything through the other modules' selectors in a bounded
number of queries (the count does not grow with the timeline, the evidence or the history);
``render_case_file`` renders ``templates/reporting/case_file.html`` with the print stylesheet
``static/css/case-file.css`` through ``reporting.pdf.render_pdf`` — nothing is fetched over the
network. ``build_case_file`` is the report builder, so every case file is a ``ReportRun`` whose
SHA-256 is recorded: the run number in each page footer lets a printed copy be checked later.
The field-by-field diff of the audit excerpt is the audit app's (``aims.audit.selectors``).

Access: the context is built from ``incidents.selectors.incident_page``, which starts from
``incidents_visible_to`` — a restricted incident renders only for those who can see it.

What the document does not contain is said, not hidden: the modules of root cause, corrective
actions, disclosure and post-incident review are listed as "not recorded in this version"
until they exist.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aims.audit.chain import latest_verification, verify_records
from aims.audit.selectors import display_value, field_changes
from aims.clocks import selectors as clock_selectors
from aims.clocks import services as clock_services
from aims.core.exceptions import PermissionRefused
from aims.core.registry import report_sections
from aims.notify.selectors import deliveries_for_target
from incidents import selectors as incident_selectors
from incidents.choices import TimelineKind
from incidents.models import (
    AffectedSystem,
    Approval,
    ContainmentDecision,
    Evidence,
    EvidenceAccess,
    Incident,
    Participant,
    TimelineEntry,
)

from ..choices import ReportKind
from ..pdf import render_pdf
from ..registry import BuiltFile, builder

STYLESHEET = "case-file.css"
TEMPLATE = "reporting/case_file.html"
RECENT_CHANGE_DAYS = 14
VALUE_CHARS = 80  # audit excerpt: each old/new value is shortened to this many characters
HASH_PREFIX = 16
# A case file of a few hundred timeline entries renders in seconds; the limit stops a runaway
# layout (and is well inside the run's lease, reporting.services.LEASE).
CASE_FILE_TIME_LIMIT_S = 120
SKIPPED_FIELDS = frozenset({"id", "created_at", "updated_at"})

# The records of an incident whose history the audit excerpt shows: (model, how to filter its
# historical table, what one record is called).
AUDITED_RELATIONS = (
    (Incident, "id", gettext_lazy("incident")),
    (AffectedSystem, "incident_id", gettext_lazy("affected system")),
    (Participant, "incident_id", gettext_lazy("participant")),
    (Evidence, "incident_id", gettext_lazy("evidence")),
    (ContainmentDecision, "incident_id", gettext_lazy("containment decision")),
    (Approval, "incident_id", gettext_lazy("approval")),
    (TimelineEntry, "incident_id", gettext_lazy("timeline entry")),
)

# Later modules of DESIGN section 2 not installed yet; an installed module adds its own
# section (``aims.core.registry.register_report_section``) instead of this line.
LATER_MODULES = (("capa", gettext_lazy("Post-incident review")),)


@dataclass
class AuditRow:
    seq: int | None
    when: datetime
    who: str
    source: str
    record: str
    action: str
    changes: list[str]
    reason: str
    record_hash: str
    problem: str = ""

    @property
    def hash_prefix(self) -> str:
        return (self.record_hash or "")[:HASH_PREFIX]


@dataclass
class AuditExcerpt:
    rows: list[AuditRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    latest: object = None  # aims.audit.models.ChainVerification or None

    @property
    def checked(self) -> int:
        return len(self.rows)

    @property
    def intact(self) -> bool:
        return not self.problems


def _human(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    sign = "-" if delta.total_seconds() < 0 else ""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h"
    if hours:
        return f"{sign}{hours} h {mins} min"
    return f"{sign}{mins} min"


def _labels(choices, values) -> list[str]:
    mapping = dict(choices)
    return [str(mapping.get(value, value)) for value in values or ()]


def _since(at, detected) -> str:
    if not (at and detected):
        return ""
    if at < detected:
        return _("%s before") % _human(detected - at)
    return _human(at - detected)


def _milestones(incident: Incident) -> list[dict]:
    detected = incident.detected_at
    rows = [
        (_("Failure began (best estimate)"), incident.failure_began_at),
        (_("Detected"), detected),
        (_("Reported in AIMS Register"), incident.created_at),
        (_("Triaged"), incident.triaged_at),
        (_("Evidence preserved"), incident.evidence_preserved_at),
        (_("Contained"), incident.contained_at),
        (_("Root cause confirmed"), incident.root_cause_confirmed_at),
        (_("Resolved"), incident.resolved_at),
        (_("Closed"), incident.closed_at),
    ]
    return [
        {
            "label": label,
            "at": at,
            "since_detection": _since(at, detected),
        }
        for label, at in rows
    ]


def _short(value) -> str:
    text = "—" if value in (None, "", [], {}) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


@cache
def _tracked_fields(model) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if f.name not in SKIPPED_FIELDS)


def _display(f, value, names: dict) -> str:
    """One value as the audit excerpt prints it: the audit app's display (choices by label,
    foreign keys by name), with date-times in the organization's time zone."""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if value in ([], {}):
        return "—"
    return str(display_value(f.model, f.name, value, names))


def _what(model, record, names: dict) -> str:
    """What one record is about, without a query: named from already loaded objects."""
    if model is Incident:
        return record.reference
    if model is AffectedSystem:
        return names.get(
            (AffectedSystem._meta.get_field("system").related_model, record.system_id),
            f"#{record.system_id}",
        )
    if model is Participant:
        return f"{names.get((get_user_model(), record.user_id), record.user_id)} — {_display(Participant._meta.get_field('part'), record.part, names)}"
    if model is Evidence:
        return record.original_name
    if model is ContainmentDecision:
        return _display(ContainmentDecision._meta.get_field("option"), record.option, names)
    if model is Approval:
        return _display(Approval._meta.get_field("subject"), record.subject, names)
    if model is TimelineEntry:
        return _display(TimelineEntry._meta.get_field("kind"), record.kind, names)
    return f"#{record.pk}"


def _changes(model, previous, record, names: dict) -> list[str]:
    if record.history_type == "-":
        return [_("deleted")]
    if previous is None:
        return []
    changed = [
        f"{f.verbose_name}: {_short(_display(f, old, names))} → {_short(_display(f, new, names))}"
        for f, old, new in field_changes(model, previous, record, exclude=SKIPPED_FIELDS)
    ]
    return changed or [_("saved without a field change")]


def _history_records(incident: Incident) -> list[tuple]:
    """Every history record of the incident and of its own records, one query per table."""
    found = []
    relations = [*AUDITED_RELATIONS, *(h for section in report_sections() for h in section.history)]
    for model, key, label in relations:
        # ``key`` is a lookup to the incident's id, or ``(incident id) -> Q`` for records that
        # reach the incident only through another table (a CAPA, through its links)
        condition = key(incident.pk) if callable(key) else Q(**{key: incident.pk})
        records = (
            model.history.model._default_manager.filter(condition)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        found.extend((model, label, record) for record in records)
    return found


def _user_ids(records) -> set:
    """Users named by foreign keys in the history records (for the "what changed" column)."""
    User = get_user_model()
    ids = set()
    for model, _label, record in records:
        for f in _tracked_fields(model):
            if isinstance(f, models.ForeignKey) and f.related_model is User:
                ids.add(getattr(record, f.attname, None))
    return ids


def _audit_excerpt(records, names: dict) -> AuditExcerpt:
    excerpt = AuditExcerpt()
    previous: dict[tuple, object] = {}
    for model, label, record in records:
        key = (model, record.id)
        problems = verify_records([record])
        excerpt.problems.extend(problems)
        action = {"+": _("created"), "~": _("changed"), "-": _("deleted")}.get(
            record.history_type, record.history_type
        )
        excerpt.rows.append(
            AuditRow(
                seq=record.chain_seq,
                when=record.history_date,
                who=str(record.history_user) if record.history_user_id else _("system"),
                source=record.get_source_display(),
                record=f"{label} #{record.id} · {_what(model, record, names)}",
                action=action,
                changes=_changes(model, previous.get(key), record, names),
                reason=record.history_change_reason or "",
                record_hash=record.record_hash,
                problem="; ".join(problems),
            )
        )
        previous[key] = record
    excerpt.rows.sort(key=lambda row: (row.seq is None, row.seq or 0, row.when))
    excerpt.latest = latest_verification()
    return excerpt


def _names(incident: Incident, extra_user_ids) -> dict:
    """Display names for foreign keys in the audit excerpt, from loaded objects plus one query
    for the users not seen elsewhere."""
    User = get_user_model()
    names: dict[tuple, str] = {}

    def add_user(user):
        if user is not None:
            names[(User, user.pk)] = str(user)

    add_user(incident.lead)
    add_user(incident.reported_by)
    for affected in incident.affected_systems.all():
        names[(type(affected.system), affected.system_id)] = str(affected.system)
        if affected.model_version_id:
            mv = affected.model_version
            names[(type(mv), mv.pk)] = f"{affected.system.reference} {mv.version_label}"
        if affected.deployment_id:
            names[(type(affected.deployment), affected.deployment_id)] = str(
                affected.deployment.deployed_at.date()
            )
    for participant in incident.participants.all():
        add_user(participant.user)
    for evidence in incident.evidence.all():
        add_user(evidence.captured_by)
        names[(Evidence, evidence.pk)] = evidence.original_name
    for approval in incident.approvals.all():
        add_user(approval.approved_by)
        names[(Approval, approval.pk)] = approval.get_subject_display()
    for decision in incident.containment_decisions.all():
        add_user(decision.decided_by)
        if decision.fallback_version_id:
            fv = decision.fallback_version
            names[(type(fv), fv.pk)] = fv.version_label
    missing = {pk for pk in extra_user_ids if pk and (User, pk) not in names}
    if missing:
        for user in User.objects.filter(pk__in=missing):
            add_user(user)
    names[(Incident, incident.pk)] = incident.reference
    return names


def _later_modules() -> list[dict]:
    return [
        {
            "label": label,
            "text": _("Not recorded in this version of AIMS Register (module not installed).")
            if not apps.is_installed(app)
            else _("Module installed; not yet part of the case file."),
        }
        for app, label in LATER_MODULES
    ]


def visible_incident(actor, pk) -> Incident:
    """The incident with everything its page shows, if ``actor`` may see it; else refused."""
    incident = incident_selectors.incident_page(actor, pk)
    if incident is None:
        raise PermissionRefused(_("This incident does not exist or you cannot see it."))
    return incident


def case_file_context(*, incident: Incident, actor) -> dict:
    """Everything the case file shows, in a number of queries that does not grow with the
    incident's timeline, evidence or history (one per affected system for its change log)."""
    incident = visible_incident(actor, incident.pk)
    systems = list(incident.affected_systems.all())
    timeline = list(incident_selectors.timeline(incident))
    recent = incident_selectors.recent_changes(incident, days=RECENT_CHANGE_DAYS)
    clocks = [clock_selectors.describe(c) for c in clock_services.clocks_of(incident)]
    deliveries = list(deliveries_for_target(incident))
    custody = defaultdict(list)
    for access in (
        EvidenceAccess.objects.filter(evidence__incident=incident)
        .select_related("user")
        .order_by("at", "id")
    ):
        custody[access.evidence_id].append(access)
    evidence = [
        {"item": item, "custody": custody.get(item.pk, [])} for item in incident.evidence.all()
    ]

    history = _history_records(incident)
    names = _names(incident, _user_ids(history))
    audit = _audit_excerpt(history, names)

    decisions = list(incident.containment_decisions.all())
    rollbacks = list(incident.registry_rollbacks.all())
    approvals = list(incident.approvals.all())
    approval_numbers = {a.pk: n for n, a in enumerate(approvals, start=1)}
    pct = incident.decisions_affected_pct
    module_sections = [
        {
            "title": section.title,
            "html": render_to_string(section.template, section.context(incident)),
        }
        for section in report_sections()
    ]
    return {
        "incident": incident,
        "restricted": incident.restricted,
        "types": _labels(Incident._meta.get_field("types").base_field.choices, incident.types),
        "harm_flags": _labels(
            Incident._meta.get_field("harm_flags").base_field.choices, incident.harm_flags
        ),
        "systems": systems,
        "participants": list(incident.participants.all()),
        "milestones": _milestones(incident),
        "time_to_detect": _human(incident.detected_at - incident.failure_began_at)
        if incident.failure_began_at
        else "",
        "timeline": timeline,
        "checklist": incident_selectors.checklist(incident),
        "evidence": evidence,
        "recent_changes": [
            {"affected": affected, "changes": recent.get(affected.system_id, [])}
            for affected in systems
        ],
        "recent_days": RECENT_CHANGE_DAYS,
        "decisions": [
            {
                "decision": d,
                "waiver_number": approval_numbers.get(d.waiver_id) if d.waiver_id else None,
            }
            for d in decisions
        ],
        "registry_rollbacks": rollbacks,
        "approvals": [{"number": approval_numbers[a.pk], "approval": a} for a in approvals],
        "scope_confirmed": incident.individuals_affected_confirmed is not None,
        "scope_required": incident.severity is not None and incident.severity <= 1,
        "decisions_affected_pct": format(pct.normalize(), "f") if pct is not None else None,
        "clocks": clocks,
        "recorded_notifications": [
            e for e in timeline if e.kind in (TimelineKind.NOTIFICATION, TimelineKind.COMMUNICATION)
        ],
        "deliveries": deliveries,
        "later_modules": _later_modules(),
        "module_sections": module_sections,
        "audit_number": 11 + len(module_sections),
        "audit": audit,
        "time_zone": timezone.get_current_timezone_name(),
    }


@dataclass
class RenderTiming:
    context_s: float = 0.0
    template_s: float = 0.0
    weasyprint_s: float = 0.0
    pages: int = 0

    @property
    def total_s(self) -> float:
        return self.context_s + self.template_s + self.weasyprint_s


def case_file_html(
    *,
    incident: Incident,
    actor,
    generated_at: datetime | None = None,
    run_id: int | None = None,
    timing: RenderTiming | None = None,
) -> str:
    """The case file as HTML for WeasyPrint (all user text escaped by the template)."""
    timing = timing if timing is not None else RenderTiming()
    started = time.perf_counter()
    context = case_file_context(incident=incident, actor=actor)
    timing.context_s = time.perf_counter() - started
    started = time.perf_counter()
    context.update(
        generated_at=generated_at or timezone.now(),
        generated_by=actor,
        run_id=run_id,
    )
    html = render_to_string(TEMPLATE, context)
    timing.template_s = time.perf_counter() - started
    return html


def render_case_file(
    *,
    incident: Incident,
    actor,
    generated_at: datetime | None = None,
    run_id: int | None = None,
    timing: RenderTiming | None = None,
) -> bytes:
    """The case file as PDF bytes. ``timing``, when given, is filled in (for the benchmark)."""
    timing = timing if timing is not None else RenderTiming()
    html = case_file_html(
        incident=incident, actor=actor, generated_at=generated_at, run_id=run_id, timing=timing
    )
    started = time.perf_counter()
    rendered = render_pdf(html, stylesheet=STYLESHEET)
    timing.pages = rendered.pages
    timing.weasyprint_s = time.perf_counter() - started
    return rendered.content


@builder(ReportKind.CASE_FILE, soft_time_limit=CASE_FILE_TIME_LIMIT_S)
def build_case_file(run, progress) -> BuiltFile:
    """Builder of ``ReportKind.CASE_FILE`` runs: ``params = {"incident": pk}``."""
    progress(0, 2)
    incident_id = run.incident_id or run.params.get("incident")
    incident = (
        incident_selectors.incidents_visible_to(run.requested_by).filter(pk=incident_id).first()
    )
    if incident is None:
        raise PermissionRefused(_("This incident does not exist or you cannot see it."))
    progress(1, 2)
    pdf = render_case_file(
        incident=incident, actor=run.requested_by, generated_at=timezone.now(), run_id=run.pk
    )
    progress(2, 2)
    return BuiltFile(
        content=pdf,
        file_name=f"{incident.reference}-case-file.pdf",
        media_type="application/pdf",
    )
