"""Every write of the management review (ISO/IEC 42001 clause 9.3), one function per business
action: prepare the draft, edit it, record it as held (freezing its compiled inputs and the
incidents it covered), approve it, and raise the actions it decided as CAPAs."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, model_save
from incidents.models import Incident

from .. import events, permissions, selectors, workflow
from ..choices import ActionSource, ManagementReviewStatus
from ..models import (
    ManagementReview,
    ManagementReviewAction,
    ManagementReviewAttendee,
    ManagementReviewIncident,
)
from .actions import capa_create

REVIEW_FIELDS = frozenset(
    {"meeting_date", "period_start", "period_end", "other_attendees", "minutes", "decisions"}
)


def _apply(review, data: dict) -> set[str]:
    unknown = set(data) - REVIEW_FIELDS - {"attendees"}
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown)),
            fields={name: [_("not editable")] for name in sorted(unknown)},
        )
    changed = set()
    for name in REVIEW_FIELDS & set(data):
        value = data[name]
        if isinstance(value, str):
            value = value.strip()
        if getattr(review, name) != value:
            setattr(review, name, value)
            changed.add(name)
    return changed


def _validate(review) -> None:
    missing = {
        name: [_("required")]
        for name in ("meeting_date", "period_start", "period_end")
        if getattr(review, name) in (None, "")
    }
    if missing:
        raise ValidationFailed(
            _("A management review needs its meeting date and its period."), fields=missing
        )
    if review.period_end < review.period_start:
        raise ValidationFailed(
            _("The period ends before it starts."), fields={"period_end": [_("before the start")]}
        )


def _set_attendees(review, users, actor) -> None:
    """Make the review's attendance exactly ``users`` (active users with a role)."""
    wanted = {}
    for user in users:
        user = user if hasattr(user, "pk") else get_user_model().objects.filter(pk=user).first()
        if user is None or not user.is_active:
            raise ValidationFailed(
                _("An attendee must be an active user."), fields={"attendees": [_("not eligible")]}
            )
        wanted[user.pk] = user
    present = {row.user_id: row for row in review.attendance.all()}
    for pk, row in present.items():
        if pk not in wanted:
            row._history_user = actor
            row.delete()
    for pk, user in wanted.items():
        if pk not in present:
            model_save(
                ManagementReviewAttendee(review=review, user=user), actor=actor, lookups=False
            )


def _lock(review) -> ManagementReview:
    return ManagementReview.objects.select_for_update(of=("self",)).get(pk=review.pk)


@audited_write
def management_review_create(*, actor, data: dict) -> ManagementReview:
    """Prepare a management review as a draft: its meeting date, period and attendees. While a
    draft, its page compiles the inputs live from the data."""
    require(permissions.can_manage_review(actor))
    data = dict(data)
    attendees = data.pop("attendees", ())
    review = ManagementReview(created_by=actor)
    _apply(review, data)
    _validate(review)
    review.reference = allocate_reference("MR")
    model_save(review, actor=actor, lookups=False)
    _set_attendees(review, attendees, actor)
    return review


@audited_write
def management_review_update(
    *, actor, review, data: dict, expected_version: str | None = None
) -> ManagementReview:
    """Edit the review. Once recorded, the meeting, period and attendance are what was held:
    only the minutes and the decisions may still be completed (until approved)."""
    review = _lock(review)
    require(permissions.can_manage_review(actor, review))
    check_version(review, expected_version)
    data = dict(data)
    if review.status == ManagementReviewStatus.APPROVED:
        raise ValidationFailed(_("%s is approved: its record is final.") % review.reference)
    if review.status == ManagementReviewStatus.RECORDED:
        frozen = set(data) - {"minutes", "decisions"}
        frozen = {name for name in frozen if data[name] != _current(review, name)}
        if frozen:
            raise ValidationFailed(
                _(
                    "%s is recorded: its meeting, period and attendees are what was held; only "
                    "the minutes and the decisions can still be completed."
                )
                % review.reference,
                fields={name: [_("recorded")] for name in sorted(frozen)},
            )
    attendees = data.pop("attendees", None)
    changed = _apply(review, data)
    _validate(review)
    if changed:
        model_save(review, actor=actor, lookups=False)
    if attendees is not None and review.status == ManagementReviewStatus.DRAFT:
        _set_attendees(review, attendees, actor)
    return review


def _current(review, name):
    if name == "attendees":
        return None  # attendance is never editable once recorded
    return getattr(review, name, None)


@audited_write
def management_review_transition(*, actor, review, to: str, reason: str = "") -> ManagementReview:
    """Record the review as held (its inputs compiled now and frozen, the P0/P1 incidents it
    covered stamped, each of them told on its timeline), or approve it."""
    review = _lock(review)
    move = workflow.MANAGEMENT_REVIEW_LIFECYCLE.check(review, to=to, actor=actor, reason=reason)
    now = timezone.now()
    if move.target == ManagementReviewStatus.RECORDED:
        review.inputs = selectors.management_review_inputs(
            period_start=review.period_start, period_end=review.period_end, now=now
        )
        review.recorded_by = actor
    if move.target == ManagementReviewStatus.APPROVED:
        review.approved_by = actor
    review.status = move.target
    if move.milestone:
        setattr(review, move.milestone, now)
    model_save(review, actor=actor, lookups=False)
    if move.target == ManagementReviewStatus.RECORDED:
        ids = [row["id"] for row in review.inputs["significant"]]
        for incident in Incident.objects.filter(pk__in=ids).order_by("id"):
            model_save(
                ManagementReviewIncident(review=review, incident=incident),
                actor=actor,
                lookups=False,
            )
            events.review_covered_event(incident=incident, actor=actor, review=review)
    return review


@audited_write
def management_review_action_add(*, actor, review, data: dict):
    """An action the review decided: a CAPA with source "management review", linked to it."""
    review = _lock(review)
    require(permissions.can_manage_review(actor, review))
    require(permissions.can_create_capa(actor))
    if review.status == ManagementReviewStatus.DRAFT:
        raise ValidationFailed(
            _("Record the review as held first: its actions are what the meeting decided.")
        )
    data = dict(data)
    given = data.get("source")
    if given not in (None, "", ActionSource.MANAGEMENT_REVIEW):
        raise ValidationFailed(
            _("An action of a management review has the source “management review”."),
            fields={"source": [_("must be management_review")]},
        )
    data["source"] = ActionSource.MANAGEMENT_REVIEW
    data.setdefault("source_detail", f"{review.reference} ({review.meeting_date:%Y-%m-%d})")
    capa = capa_create(actor=actor, data=data)
    model_save(ManagementReviewAction(review=review, capa=capa), actor=actor, lookups=False)
    return capa
