"""Writes of the post-incident review, one function per business action.

The review is opened by the incident's move to ``closed`` (``review_open_on_close``, a
transition listener registered in ``apps.py``), with its clock: due 10 business days later.
Reopening the incident leaves the review as it is (the incident's clock is cancelled meanwhile)
and closing it again opens no second one: there is one review per incident. The
lessons are edited while it is a draft or returned (``review_update``, with the version the
editor read); submitting freezes the computed timeline and documentation check into the
review, and the AI risk officer approves (freezing them again, as approved) or returns it.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from aims.core.concurrency import check_version
from aims.core.exceptions import Conflict, ValidationFailed
from aims.core.permissions import require
from aims.core.references import allocate_reference
from aims.core.services import audited_write, history_reason, model_save
from incidents.choices import Status as IncidentStatus

from .. import clocks, events, permissions, selectors, workflow
from ..choices import (
    LIMITATION_CATEGORIES,
    ActionType,
    ProcessFollowed,
    ReviewStatus,
    ReviewUpdateKind,
    RootCauseStatus,
)
from ..models import PostIncidentReview, ReviewAction, RootCause
from .actions import capa_create

REVIEW_FIELDS = frozenset(
    {
        "root_cause_review",
        "controls_failed",
        "controls_worked",
        "process_followed",
        "process_notes",
        "caught_sooner",
        "limitation_revealed",
    }
)
REVIEW_CAPA_TYPES = (ActionType.CORRECTIVE, ActionType.PREVENTIVE)


def _lock(review) -> PostIncidentReview:
    return (
        PostIncidentReview.objects.select_for_update(of=("self",), no_key=True)
        .select_related("incident", "incident__lead")
        .get(pk=review.pk)
    )


def review_open_on_close(*, incident, actor, source, target, now) -> PostIncidentReview | None:
    """Transition listener: an incident that closes gets its review, once. Closing it again
    after a reopen opens no second review: a review not yet approved takes the due time of the
    restarted clock; an approved one stands, and the restarted clock is met at once."""
    if target != IncidentStatus.CLOSED:
        return None
    review = (
        PostIncidentReview.objects.select_for_update(of=("self",), no_key=True)
        .filter(incident=incident)
        .first()
    )
    if review is None:
        return _open(incident=incident, actor=actor, now=now)
    if review.status == ReviewStatus.APPROVED:
        clocks.review_met(incident, actor=actor, at=now)
        return review
    due = clocks.review_due(incident, now)
    if due is not None and due != review.due_at:
        review.due_at = due
        model_save(review, actor=actor, lookups=False)
    return review


def _open(*, incident, actor, now) -> PostIncidentReview:
    due = clocks.review_due(incident, now)
    if due is None:
        due = now + timedelta(days=14)  # no active policy: two calendar weeks
    category = (
        RootCause.objects.filter(incident=incident, status=RootCauseStatus.CONFIRMED)
        .values_list("category", flat=True)
        .first()
    )
    review = PostIncidentReview(
        incident=incident,
        opened_at=now,
        due_at=due,
        limitation_revealed=category in LIMITATION_CATEGORIES,
    )
    review.reference = allocate_reference("PIR")
    model_save(review, actor=actor, lookups=False)
    events.review_opened_event(incident=incident, actor=actor, review=review)
    return review


@audited_write
def review_update(
    *, actor, review: PostIncidentReview, data: dict, expected_version: str | None = None
) -> PostIncidentReview:
    """Edit the lessons while the review is a draft or returned for changes."""
    review = _lock(review)
    require(permissions.can_edit_review(actor, review))
    check_version(review, expected_version)
    if not review.is_editable:
        raise Conflict(
            _("%(ref)s is %(status)s: it can no longer be edited.")
            % {"ref": review.reference, "status": review.get_status_display().lower()}
        )
    unknown = set(data) - REVIEW_FIELDS
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be set here: %s.") % ", ".join(sorted(unknown)),
            fields={name: [_("not editable")] for name in sorted(unknown)},
        )
    if data.get("process_followed", "") not in ("", *ProcessFollowed.values):
        raise ValidationFailed(
            _("Choose whether the process was followed: %s.") % ", ".join(ProcessFollowed.values),
            fields={"process_followed": [_("invalid choice")]},
        )
    changed = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(review, name) != value:
            setattr(review, name, value)
            changed.append(name)
    if changed:
        model_save(review, actor=actor, lookups=False)
    return review


def _freeze(review, now) -> None:
    review.snapshot = selectors.review_computed(review)
    review.snapshot_at = now


@audited_write
def review_transition(
    *, actor, review: PostIncidentReview, to: str, reason: str = "", expected_version=None
) -> PostIncidentReview:
    """Submit, return (with what must change) or approve (with a comment) the review."""
    review = _lock(review)
    reason = (reason or "").strip()
    move = workflow.REVIEW_LIFECYCLE.check(review, to=to, actor=actor, reason=reason)
    check_version(review, expected_version)
    source = review.status
    now = timezone.now()
    review.status = move.target
    setattr(review, move.milestone, now)
    if move.target == ReviewStatus.SUBMITTED:
        review.submitted_by = actor
        _freeze(review, now)
    elif move.target == ReviewStatus.RETURNED:
        review.returned_by, review.return_comment = actor, reason
    elif move.target == ReviewStatus.APPROVED:
        review.approved_by, review.approval_comment = actor, reason
        _freeze(review, now)
    review._change_reason = history_reason(reason)
    model_save(review, actor=actor, lookups=False)
    events.review_status_event(
        incident=review.incident,
        actor=actor,
        review=review,
        source=source,
        target=move.target,
        reason=reason,
    )
    if move.target == ReviewStatus.APPROVED:
        clocks.review_met(review.incident, actor=actor, at=now)
    return review


def review_submit(*, actor, review, expected_version=None):
    return review_transition(
        actor=actor, review=review, to=ReviewStatus.SUBMITTED, expected_version=expected_version
    )


def review_return(*, actor, review, comment: str, expected_version=None):
    return review_transition(
        actor=actor,
        review=review,
        to=ReviewStatus.RETURNED,
        reason=comment,
        expected_version=expected_version,
    )


def review_approve(*, actor, review, comment: str, expected_version=None):
    return review_transition(
        actor=actor,
        review=review,
        to=ReviewStatus.APPROVED,
        reason=comment,
        expected_version=expected_version,
    )


@audited_write
def review_raise_capa(
    *, actor, review: PostIncidentReview, update_kind: str, data: dict
) -> ReviewAction:
    """A process or policy update the review decided, as a corrective or preventive CAPA of
    the incident (owner and deadline required), linked to the review."""
    review = _lock(review)
    require(permissions.can_raise_review_capa(actor, review))
    if review.status == ReviewStatus.APPROVED:
        raise Conflict(
            _("%s is approved: raise further CAPAs from the CAPA register.") % review.reference
        )
    if update_kind not in ReviewUpdateKind.values:
        raise ValidationFailed(
            _("Say what the CAPA updates: %s.") % ", ".join(ReviewUpdateKind.values),
            fields={"update_kind": [_("invalid choice")]},
        )
    data = dict(data)
    if data.get("action_type") not in REVIEW_CAPA_TYPES:
        raise ValidationFailed(
            _("A review's update is a corrective or a preventive action."),
            fields={"action_type": [_("corrective or preventive")]},
        )
    missing = {name: [_("required")] for name in ("owner", "due_at") if not data.get(name)}
    if missing:
        raise ValidationFailed(
            _("Each process or policy update has an owner and a deadline."), fields=missing
        )
    data.setdefault("source_detail", f"Post-incident review {review.reference}")
    capa = capa_create(actor=actor, data=data, incidents=[review.incident])
    action = model_save(
        ReviewAction(review=review, capa=capa, update_kind=update_kind, added_by=actor),
        actor=actor,
        lookups=False,
    )
    events.review_action_event(incident=review.incident, actor=actor, review=review, action=action)
    return action
