"""Writing the risk register: create, edit and re-score, move through the lifecycle, accept a
residual risk, record a review — each keeping the risk's review clock in step.
"""

from datetime import UTC, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.clocks.services import clocks_reassign, record_clocks
from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, model_save

from .. import events, permissions, rules, selectors
from ..choices import RiskClockKind, RiskStatus
from ..models import (
    Risk,
    RiskAcceptance,
    RiskControl,
    RiskMethodology,
    RiskSystem,
)
from ..workflow import LIFECYCLE

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


def rating_values(risk, which) -> dict:
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
        ratings={which: rating_values(risk, which) for which in ("inherent", "residual")},
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
    old = {which: rating_values(risk, which) for which in ("inherent", "residual")}
    old_date = risk.next_review_date
    for name in changed:
        setattr(risk, name, data[name])
    if rating_change:
        _score(risk, selectors.methodology_in_force())
    if changed:
        model_save(risk, actor=actor, lookups=False)
        events.risk_updated_event(risk=risk, actor=actor, fields=changed)
    for which in ("inherent", "residual"):
        new = rating_values(risk, which)
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
        old = {which: rating_values(risk, which) for which in ("inherent", "residual")}
        old_methodology = risk.methodology
        _score(risk, selectors.methodology_in_force())
        risk.assessed_at = now
        for which in ("inherent", "residual"):
            new = rating_values(risk, which)
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
