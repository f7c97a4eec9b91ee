"""Every write of the risk module: one function per business action, each in one audited
transaction — permission first, then validation, the save with its history, the timeline entry
and the review clock."""

from datetime import UTC, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.clocks.services import clocks_reassign, record_clocks
from aims.core import visibility
from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, model_save

from . import events, evidence, permissions, rules, selectors
from .choices import Applicability, MethodologyStatus, RiskClockKind, RiskStatus
from .models import (
    ApplicabilityStatement,
    EvidenceLink,
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskMethodology,
    RiskSystem,
)
from .workflow import LIFECYCLE

REVIEW_HOUR = time(9, 0)

TEXT_FIELDS = ("title", "description", "cause", "consequence", "category", "treatment_plan")
RATING_FIELDS = (
    "inherent_likelihood",
    "inherent_impact",
    "treatment",
    "residual_likelihood",
    "residual_impact",
)
EDITABLE_FIELDS = (
    *TEXT_FIELDS,
    *RATING_FIELDS,
    "owner",
    "tags",
    "next_review_date",
    "systems",
    "controls",
)
RATING_LOCKED = (RiskStatus.ACCEPTED, RiskStatus.CLOSED)


# --- methodology ----------------------------------------------------------------------------


METHODOLOGY_FIELDS = (
    "title",
    "likelihood_scale",
    "impact_scale",
    "bands",
    "acceptance_threshold",
    "notes",
)


def _check_method(values: dict) -> None:
    try:
        method = rules.method_from(
            values["likelihood_scale"],
            values["impact_scale"],
            values["bands"],
            values["acceptance_threshold"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            _(
                "The scales and bands are not in the expected shape: each level needs level, "
                "name and definition; each band code, label, min_score, max_score and "
                "accept_roles (%(error)s)."
            )
            % {"error": exc}
        ) from exc
    errors = rules.validate(method)
    if errors:
        raise ValidationFailed(" ".join(errors))


@audited_write
def methodology_draft(*, actor, data: dict | None = None) -> RiskMethodology:
    """A new draft version, starting from the version in force for whatever ``data`` leaves out."""
    require(permissions.can_draft_methodology(actor))
    current = selectors.methodology_in_force()
    values = {name: getattr(current, name) for name in METHODOLOGY_FIELDS}
    values.update({k: v for k, v in (data or {}).items() if k in METHODOLOGY_FIELDS})
    _check_method(values)
    version = (RiskMethodology.objects.aggregate(m=Max("version"))["m"] or 0) + 1
    return model_save(
        RiskMethodology(version=version, drafted_by=actor, **values), actor=actor, lookups=False
    )


@audited_write
def methodology_update(*, actor, methodology, data: dict, expected_version=None):
    require(permissions.can_draft_methodology(actor))
    methodology = RiskMethodology.objects.select_for_update().get(pk=methodology.pk)
    check_version(methodology, expected_version)
    if methodology.status != MethodologyStatus.DRAFT:
        raise Conflict(
            _(
                "Version %(version)s is %(status)s and stays as it was approved; draft a new "
                "version to change the methodology."
            )
            % {"version": methodology.version, "status": methodology.get_status_display()}
        )
    for name, value in data.items():
        if name in METHODOLOGY_FIELDS:
            setattr(methodology, name, value)
    _check_method({name: getattr(methodology, name) for name in METHODOLOGY_FIELDS})
    return model_save(methodology, actor=actor, lookups=False)


@audited_write
def methodology_approve(*, actor, methodology) -> RiskMethodology:
    """Put a draft in force; the previous version is superseded.

    No stored score changes: each risk keeps the version it was scored under and shows that it
    needs re-assessment under the new one (``Risk.methodology`` is not the version in force).
    """
    require(permissions.can_approve_methodology(actor, methodology))
    methodology = RiskMethodology.objects.select_for_update().get(pk=methodology.pk)
    if methodology.status != MethodologyStatus.DRAFT:
        raise Conflict(
            _("Only a draft can be approved; version %(version)s is %(status)s.")
            % {"version": methodology.version, "status": methodology.get_status_display()}
        )
    _check_method({name: getattr(methodology, name) for name in METHODOLOGY_FIELDS})
    now = timezone.now()
    current = RiskMethodology.objects.select_for_update().get(status=MethodologyStatus.IN_FORCE)
    current.status, current.superseded_at = MethodologyStatus.SUPERSEDED, now
    model_save(current, actor=actor, validate=False)
    methodology.status = MethodologyStatus.IN_FORCE
    methodology.approved_by, methodology.approved_at = actor, now
    return model_save(methodology, actor=actor, validate=False)


# --- risks ----------------------------------------------------------------------------------


def _rating(risk, which) -> dict:
    return {
        "likelihood": getattr(risk, f"{which}_likelihood"),
        "impact": getattr(risk, f"{which}_impact"),
        "score": getattr(risk, f"{which}_score"),
    }


def _score(risk, methodology: RiskMethodology) -> None:
    """Scores and bands from the ratings under ``methodology``, which the risk then records."""
    method = methodology.method
    risk.methodology = methodology
    for which in ("inherent", "residual"):
        likelihood = getattr(risk, f"{which}_likelihood")
        impact = getattr(risk, f"{which}_impact")
        if likelihood is None or impact is None:
            setattr(risk, f"{which}_score", None)
            setattr(risk, f"{which}_band", "")
            continue
        if likelihood not in rules.LEVELS or impact not in rules.LEVELS:
            raise ValidationFailed(
                _("Likelihood and impact are levels from 1 to 5."),
                fields={f"{which}_likelihood": [_("1 to 5")], f"{which}_impact": [_("1 to 5")]},
            )
        rating = rules.rate(likelihood, impact, method)
        setattr(risk, f"{which}_score", rating.score)
        setattr(risk, f"{which}_band", rating.band)


def _check_tags(codes) -> list[str]:
    codes = list(dict.fromkeys(codes or []))
    if not codes:
        return []
    known = selectors.tag_labels()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed(
            _("Unknown tags: %(unknown)s. Known tags: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(known))},
            fields={"tags": [_("unknown tag")]},
        )
    return codes


def _review_due_at(day) -> datetime:
    return datetime.combine(day, REVIEW_HOUR, tzinfo=UTC)


def _sync_review_clock(risk, actor, *, clocks=None, restart=False, reason="") -> None:
    """One running review clock while the risk is open and has a next review date."""
    clocks = clocks or record_clocks(risk)
    running = clocks.active(RiskClockKind.REVIEW)
    if risk.status == RiskStatus.CLOSED or risk.next_review_date is None:
        if running is not None:
            clocks.cancel(
                kind=RiskClockKind.REVIEW, reason=reason or "no review planned", actor=actor
            )
        return
    due_at = _review_due_at(risk.next_review_date)
    if running is not None and running.due_at == due_at and not restart:
        return
    clocks.start(
        kind=RiskClockKind.REVIEW,
        label=str(_("Risk review")),
        started_at=min(timezone.now(), due_at),
        due_at=due_at,
        owner=risk.owner,
        actor=actor,
        restart=running is not None,
        reason=reason or "review date changed",
    )


def _set_links(risk, actor, *, systems=None, controls=None, created=False) -> bool:
    """Add and remove the risk's systems and controls, each row with its history; True when
    anything changed."""
    added_controls, removed_controls = [], []
    systems_changed = False
    if systems is not None:
        wanted = {s.pk: s for s in systems}
        existing = {} if created else {rs.system_id: rs for rs in risk.risk_systems.all()}
        for pk, system in wanted.items():
            if pk not in existing:
                model_save(RiskSystem(risk=risk, system=system), actor=actor, lookups=False)
                systems_changed = True
        for pk, row in existing.items():
            if pk not in wanted:
                row._history_user = actor
                row.delete()
                systems_changed = True
    if controls is not None:
        wanted = {c.pk: c for c in controls}
        existing = (
            {}
            if created
            else {rc.control_id: rc for rc in risk.risk_controls.select_related("control")}
        )
        for pk, control in wanted.items():
            if pk not in existing:
                model_save(RiskControl(risk=risk, control=control), actor=actor, lookups=False)
                added_controls.append(control.code)
        for pk, row in existing.items():
            if pk not in wanted:
                removed_controls.append(row.control.code)
                row._history_user = actor
                row.delete()
    if (added_controls or removed_controls) and not created:  # a new risk's entry names them
        events.risk_controls_event(
            risk=risk, actor=actor, added=added_controls, removed=removed_controls
        )
    return systems_changed or bool(added_controls or removed_controls)


@audited_write
def risk_create(*, actor, data: dict) -> Risk:
    """Raise a risk (a draft until it is assessed), scored under the methodology in force."""
    require(permissions.can_edit_register(actor))
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s.") % ", ".join(sorted(unknown)))
    values = {k: v for k, v in data.items() if k not in ("systems", "controls")}
    values["tags"] = _check_tags(values.get("tags"))
    if values.get("owner") is None:
        raise ValidationFailed(_("Name the risk owner."), fields={"owner": [_("required")]})
    risk = Risk(**values)
    _score(risk, selectors.methodology_in_force())
    risk.reference = allocate_reference("RISK")
    model_save(risk, actor=actor, lookups=False)
    controls = data.get("controls") or []
    events.risk_created_event(
        risk=risk,
        actor=actor,
        ratings={which: _rating(risk, which) for which in ("inherent", "residual")},
        controls=[c.code for c in controls],
    )
    _set_links(
        risk,
        actor,
        systems=data.get("systems") or [],
        controls=data.get("controls") or [],
        created=True,
    )
    _sync_review_clock(risk, actor, clocks=record_clocks(risk, known_empty=True))
    return risk


@audited_write
def risk_update(
    *, actor, risk, data: dict, expected_version=None, reason: str = "", incident=None
) -> Risk:
    """Change what the register says of a risk. Ratings are given under the methodology in
    force (a change re-scores the risk under it); an accepted or closed risk's ratings stay as
    they were accepted until it is re-assessed."""
    require(permissions.can_edit_register(actor, risk))
    risk = selectors.risk_for_update(risk.pk)
    check_version(risk, expected_version)
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s.") % ", ".join(sorted(unknown)))
    if risk.status == RiskStatus.CLOSED:
        raise Conflict(_("%(ref)s is closed; reopen it to change it.") % {"ref": risk.reference})
    changed = {
        name
        for name, value in data.items()
        if name not in ("systems", "controls") and getattr(risk, name) != value
    }
    if "tags" in data:
        data = {**data, "tags": _check_tags(data["tags"])}
    rating_change = changed & set(RATING_FIELDS)
    if rating_change and risk.status in RATING_LOCKED:
        raise Conflict(
            _(
                "The residual risk of %(ref)s was accepted with these ratings; re-assess it "
                "(move it back to assessed, with a reason) before changing them."
            )
            % {"ref": risk.reference}
        )
    old = {which: _rating(risk, which) for which in ("inherent", "residual")}
    old_date = risk.next_review_date
    for name in changed:
        setattr(risk, name, data[name])
    if rating_change:
        _score(risk, selectors.methodology_in_force())
    if changed:
        model_save(risk, actor=actor, lookups=False)
        events.risk_updated_event(risk=risk, actor=actor, fields=changed)
    for which in ("inherent", "residual"):
        new = _rating(risk, which)
        if new != old[which]:
            events.risk_rated_event(
                risk=risk,
                actor=actor,
                which=which,
                old=old[which],
                new=new,
                methodology=risk.methodology,
                reason=reason,
                incident=incident,
            )
    links_changed = _set_links(
        risk, actor, systems=data.get("systems"), controls=data.get("controls")
    )
    if links_changed and not changed:
        model_save(risk, actor=actor, lookups=False)  # a new version: the ETag moves
    if risk.next_review_date != old_date:
        _sync_review_clock(risk, actor)
    elif "owner" in changed:
        clocks_reassign(target=risk, kinds=[RiskClockKind.REVIEW], owner=risk.owner, actor=actor)
    return risk


@audited_write
def risk_transition(*, actor, risk, to: str, reason: str = "") -> Risk:
    """Move the risk along its lifecycle (``risk.workflow``). Accepting records the approval;
    re-assessing re-scores the ratings under the methodology in force and ends the acceptance."""
    risk = selectors.risk_for_update(risk.pk)
    LIFECYCLE.check(risk, to=to, actor=actor, reason=reason)
    source = risk.status
    now = timezone.now()
    reason = (reason or "").strip()
    if to == RiskStatus.ACCEPTED:
        in_force = selectors.methodology_in_force()
        if risk.methodology_id != in_force.pk:
            raise Conflict(
                _(
                    "%(ref)s was scored under methodology version %(old)s; version %(new)s is "
                    "in force. Re-assess the risk under it before accepting."
                )
                % {"ref": risk.reference, "old": risk.methodology.version, "new": in_force.version}
            )
        acceptance = model_save(
            RiskAcceptance(
                risk=risk,
                methodology=in_force,
                residual_likelihood=risk.residual_likelihood,
                residual_impact=risk.residual_impact,
                residual_score=risk.residual_score,
                band=risk.residual_band,
                accepted_by=actor,
                accepted_at=now,
                rationale=reason,
            ),
            actor=actor,
            lookups=False,
        )
        events.risk_accepted_event(risk=risk, actor=actor, acceptance=acceptance)
    if source == RiskStatus.ACCEPTED:
        for acceptance in RiskAcceptance.objects.filter(risk=risk, revoked_at__isnull=True):
            acceptance.revoked_at = now
            model_save(acceptance, actor=actor, validate=False)
    if to == RiskStatus.ASSESSED:
        old = {which: _rating(risk, which) for which in ("inherent", "residual")}
        old_methodology = risk.methodology
        _score(risk, selectors.methodology_in_force())
        risk.assessed_at = now
        for which in ("inherent", "residual"):
            new = _rating(risk, which)
            if new != old[which] or risk.methodology_id != old_methodology.pk:
                events.risk_rated_event(
                    risk=risk,
                    actor=actor,
                    which=which,
                    old=old[which],
                    new=new,
                    methodology=risk.methodology,
                    reason=reason,
                )
    if to == RiskStatus.CLOSED:
        risk.closed_reason = reason
    risk.status = to
    model_save(risk, actor=actor, lookups=False)
    events.risk_status_event(risk=risk, actor=actor, source=source, target=to, reason=reason)
    if to == RiskStatus.CLOSED or source == RiskStatus.CLOSED:
        _sync_review_clock(risk, actor, reason="risk closed" if to == RiskStatus.CLOSED else "")
    return risk


def risk_accept(*, actor, risk, rationale: str) -> Risk:
    """Accept the residual risk (an approval): ``risk_transition`` to accepted."""
    return risk_transition(actor=actor, risk=risk, to=RiskStatus.ACCEPTED, reason=rationale)


@audited_write
def risk_review(*, actor, risk, next_review_date, note: str = "") -> Risk:
    """A periodic review: the review clock is met and the next one runs to ``next_review_date``."""
    require(permissions.can_edit_register(actor, risk))
    risk = selectors.risk_for_update(risk.pk)
    if risk.status == RiskStatus.CLOSED:
        raise Conflict(_("%(ref)s is closed; reopen it to review it.") % {"ref": risk.reference})
    today = timezone.localdate()
    if next_review_date is None or next_review_date <= today:
        raise ValidationFailed(
            _("Give the date of the next review, after today."),
            fields={"next_review_date": [_("a date after today")]},
        )
    now = timezone.now()
    clocks = record_clocks(risk)
    clocks.meet(kind=RiskClockKind.REVIEW, at=now, actor=actor)
    risk.last_reviewed_at = now
    risk.next_review_date = next_review_date
    model_save(risk, actor=actor, lookups=False)
    events.risk_reviewed_event(
        risk=risk, actor=actor, note=(note or "").strip(), next_review_date=next_review_date
    )
    _sync_review_clock(risk, actor, clocks=clocks)
    return risk


# --- the Statement of Applicability and evidence ----------------------------------------------


SOA_FIELDS = ("applicability", "justification", "implementation_status", "owner", "notes")


@audited_write
def statement_update(
    *, actor, control, data: dict, expected_version=None
) -> ApplicabilityStatement:
    """Declare a control applicable or excluded (with its justification), its implementation
    status and owner (ISO/IEC 42001 clause 6.1.3 d)."""
    require(permissions.can_edit_soa(actor))
    statement = selectors.statement_for_update(control)
    check_version(statement, expected_version)
    unknown = set(data) - set(SOA_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields: %s.") % ", ".join(sorted(unknown)))
    before = statement.applicability
    for name, value in data.items():
        setattr(statement, name, value)
    statement.justification = (statement.justification or "").strip()
    if statement.applicability == Applicability.EXCLUDED and not statement.justification:
        raise ValidationFailed(
            _("An excluded control needs a justification: say why it does not apply."),
            fields={"justification": [_("required when the control is excluded")]},
        )
    if statement.applicability != before:
        statement.decided_by, statement.decided_at = actor, timezone.now()
    return model_save(statement, actor=actor, lookups=False)


@audited_write
def evidence_link(*, actor, control, kind: str, target_id: int, note: str = "") -> EvidenceLink:
    """Link a record (an incident, a risk — any registered kind) that backs ``control``.
    The person must be able to see the record; the link keeps its label and date."""
    require(permissions.can_link_evidence(actor, control))
    registered = evidence.kind(kind)
    if registered is None:
        raise ValidationFailed(
            _("Unknown kind of record %(kind)s. Known kinds: %(known)s.")
            % {"kind": kind, "known": ", ".join(evidence.keys())},
            fields={"kind": [_("unknown")]},
        )
    visible = visibility.visible_queryset(actor, registered.model)
    record = (
        (visible if visible is not None else registered.model._default_manager.none())
        .filter(pk=target_id)
        .first()
    )
    if record is None:
        raise ValidationFailed(
            _("No %(kind)s with id %(id)s that you can see.") % {"kind": kind, "id": target_id},
            fields={"target_id": [_("not found")]},
        )
    target_type = ContentType.objects.get_for_model(registered.model)
    existing = EvidenceLink.objects.filter(
        control=control, target_type=target_type, target_id=record.pk
    ).first()
    if existing is not None:
        return existing  # linking twice is a retry, not a second record
    return model_save(
        EvidenceLink(
            control=control,
            target_type=target_type,
            target_id=record.pk,
            target_label=registered.label(record)[:300],
            record_date=registered.record_date(record),
            note=(note or "").strip(),
            linked_by=actor,
        ),
        actor=actor,
        lookups=False,
    )


@audited_write
def evidence_unlink(*, actor, link) -> None:
    require(permissions.can_link_evidence(actor, link.control))
    link = EvidenceLink.objects.select_for_update().get(pk=link.pk)
    link._history_user = actor
    link.delete()
