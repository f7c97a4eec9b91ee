"""The CAPA and audit-finding lifecycles as tables (``aims.core.workflow``).

CAPA: ``open -> in progress -> implemented -> verified effective | ineffective``, rework
(implemented back to in progress, with a reason) and ``cancelled`` with a reason from any
unfinished status. Verified effective, ineffective and cancelled are final: an ineffective CAPA
is followed by a new one, never reopened.

Finding: ``open -> in treatment -> closed`` (or ``open -> closed`` for an observation or an
opportunity, with the decision recorded), and reopening with a reason.

``capa.services.capa_transition`` and ``finding_transition`` are the only callers that change a
status.
"""

from django.utils.translation import gettext_lazy as _

from aims.core.workflow import Lifecycle, Move

from . import permissions
from .choices import ActionStatus, CheckResult, FindingStatus, ManagementReviewStatus


def _check(capa):
    try:
        return capa.effectiveness_check
    except capa._meta.model.effectiveness_check.RelatedObjectDoesNotExist:
        return None


def guard_closure_evidence(capa, reason: str) -> str | None:
    """Implemented needs proof of what changed: an evidence file or an implementation note."""
    if capa.implementation_note.strip() or capa.evidence.exists():
        return None
    return str(
        _(
            "Marking it implemented needs closure evidence: upload a file showing the change "
            "(a merged change, a configuration export, a test report) or write an implementation note."
        )
    )


def guard_passed_check(capa, reason: str) -> str | None:
    """No "verified effective" without a passed check recorded after implementation."""
    check = _check(capa)
    if (
        check is not None
        and check.result == CheckResult.PASSED
        and capa.implemented_at is not None
        and check.verified_at is not None
        and check.verified_at >= capa.implemented_at
    ):
        return None
    return str(
        _(
            "Verified effective needs a passed effectiveness check recorded after the CAPA was "
            "implemented, by someone other than its owner and implementer."
        )
    )


def guard_failed_check(capa, reason: str) -> str | None:
    check = _check(capa)
    if check is not None and check.result == CheckResult.FAILED:
        return None
    return str(_("Ineffective needs a failed effectiveness check recorded after implementation."))


def guard_follow_up(capa, reason: str) -> str | None:
    if capa.follow_ups.exists():
        return None
    return str(
        _(
            "Ineffective needs a follow-up CAPA: raise the next action (it names this one as "
            "the CAPA it follows) before recording the verdict."
        )
    )


WORK = permissions.can_work_on_capa
VERIFY = permissions.can_verify
CANCEL = permissions.can_cancel_capa
CANCEL_HINT = _("Why is the CAPA no longer needed?")

CAPA_LIFECYCLE = Lifecycle(
    name="capa",
    subject=_("A CAPA"),
    statuses=ActionStatus,
    moves=[
        Move(
            source=ActionStatus.OPEN,
            target=ActionStatus.IN_PROGRESS,
            label=_("Start work"),
            permission=WORK,
            milestone="started_at",
        ),
        Move(
            source=ActionStatus.IN_PROGRESS,
            target=ActionStatus.IMPLEMENTED,
            label=_("Mark implemented"),
            permission=WORK,
            guards=(guard_closure_evidence,),
            milestone="implemented_at",
        ),
        Move(
            source=ActionStatus.IMPLEMENTED,
            target=ActionStatus.IN_PROGRESS,
            label=_("Send back for rework"),
            permission=WORK,
            needs_reason=True,
            reason_hint=_("What is still missing?"),
        ),
        Move(
            source=ActionStatus.IMPLEMENTED,
            target=ActionStatus.VERIFIED_EFFECTIVE,
            label=_("Verified effective"),
            permission=VERIFY,
            guards=(guard_passed_check,),
            milestone="verified_at",
        ),
        Move(
            source=ActionStatus.IMPLEMENTED,
            target=ActionStatus.INEFFECTIVE,
            label=_("Ineffective"),
            permission=VERIFY,
            guards=(guard_failed_check, guard_follow_up),
            milestone="ineffective_at",
        ),
        *[
            Move(
                source=source,
                target=ActionStatus.CANCELLED,
                label=_("Cancel"),
                permission=CANCEL,
                needs_reason=True,
                reason_hint=CANCEL_HINT,
                milestone="cancelled_at",
            )
            for source in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.IMPLEMENTED)
        ],
    ],
)


# --- findings ---------------------------------------------------------------------------------


def guard_has_capa(finding, reason: str) -> str | None:
    if finding.actions.exclude(status=ActionStatus.CANCELLED).exists():
        return None
    return str(
        _("Treatment needs at least one CAPA raised for the finding (source: audit finding).")
    )


def guard_finding_closure(finding, reason: str) -> str | None:
    """A nonconformity closes when all its CAPAs are verified effective; an observation or an
    opportunity with a recorded decision."""
    if not finding.is_nonconformity:
        if (reason or "").strip():
            return None
        return str(
            _(
                "Closing an observation or an opportunity needs the decision recorded: say what "
                "was decided and why (the reason)."
            )
        )
    actions = [a for a in finding.actions.all() if a.status != ActionStatus.CANCELLED]
    if not actions:
        return str(
            _(
                "Closing a nonconformity needs its CAPAs: raise at least one and verify it effective."
            )
        )
    pending = [a.reference for a in actions if a.status != ActionStatus.VERIFIED_EFFECTIVE]
    if pending:
        return str(
            _("Closing a nonconformity needs all its CAPAs verified effective; not yet: %s.")
            % ", ".join(pending)
        )
    return None


MANAGE_FINDING = permissions.can_manage_findings

FINDING_LIFECYCLE = Lifecycle(
    name="finding",
    subject=_("A finding"),
    statuses=FindingStatus,
    moves=[
        Move(
            source=FindingStatus.OPEN,
            target=FindingStatus.IN_TREATMENT,
            label=_("Start treatment"),
            permission=MANAGE_FINDING,
            guards=(guard_has_capa,),
        ),
        Move(
            source=FindingStatus.OPEN,
            target=FindingStatus.CLOSED,
            label=_("Close"),
            permission=MANAGE_FINDING,
            guards=(guard_finding_closure,),
            milestone="closed_at",
        ),
        Move(
            source=FindingStatus.IN_TREATMENT,
            target=FindingStatus.CLOSED,
            label=_("Close"),
            permission=MANAGE_FINDING,
            guards=(guard_finding_closure,),
            milestone="closed_at",
        ),
        Move(
            source=FindingStatus.CLOSED,
            target=FindingStatus.OPEN,
            label=_("Reopen"),
            permission=MANAGE_FINDING,
            needs_reason=True,
            reason_hint=_("Why is the finding reopened?"),
        ),
    ],
)


# --- management review ------------------------------------------------------------------------


def guard_review_held(review, reason: str) -> str | None:
    """A review is recorded once held: its meeting date has come, someone attended, and the
    minutes say what was discussed."""
    from django.utils import timezone

    missing = []
    if review.meeting_date > timezone.localdate():
        missing.append(str(_("the meeting date has not come yet")))
    if not review.attendance.exists() and not review.other_attendees.strip():
        missing.append(str(_("the attendees")))
    if not review.minutes.strip():
        missing.append(str(_("the minutes")))
    if not missing:
        return None
    return str(_("Recording the review needs: %s.") % "; ".join(missing))


def guard_review_decisions(review, reason: str) -> str | None:
    if review.decisions.strip():
        return None
    return str(_("Approving the review needs its decisions recorded."))


MANAGE_REVIEW = permissions.can_manage_review

MANAGEMENT_REVIEW_LIFECYCLE = Lifecycle(
    name="management_review",
    subject=_("A management review"),
    statuses=ManagementReviewStatus,
    moves=[
        Move(
            source=ManagementReviewStatus.DRAFT,
            target=ManagementReviewStatus.RECORDED,
            label=_("Record as held"),
            permission=MANAGE_REVIEW,
            guards=(guard_review_held,),
            milestone="recorded_at",
        ),
        Move(
            source=ManagementReviewStatus.RECORDED,
            target=ManagementReviewStatus.APPROVED,
            label=_("Approve"),
            permission=MANAGE_REVIEW,
            guards=(guard_review_decisions,),
            milestone="approved_at",
        ),
    ],
)


# === post-incident reviews ==================================================================
# ``draft -> submitted -> approved``; the AI risk officer may return a submitted review for
# changes (with a comment), and the returned review is submitted again. Approved is final.


def guard_review_complete(review, reason: str) -> str | None:
    """Submitting needs the lessons written: what failed, what worked, and whether the process
    was followed (with why where it was not)."""
    from .choices import ProcessFollowed

    missing = []
    if not review.controls_failed.strip():
        missing.append(str(_("the controls that failed")))
    if not review.controls_worked.strip():
        missing.append(str(_("the controls that worked")))
    if not review.process_followed:
        missing.append(str(_("whether the process was followed")))
    elif review.process_followed != ProcessFollowed.YES and not review.process_notes.strip():
        missing.append(str(_("why the process was not fully followed")))
    if not review.caught_sooner.strip():
        missing.append(str(_("what would have caught it sooner")))
    if not missing:
        return None
    return str(_("Submitting the review needs %s.")) % ", ".join(missing)


def _review_lifecycle():
    from .choices import ReviewStatus as R

    return Lifecycle(
        name="post-incident review",
        subject=_("A post-incident review"),
        statuses=R,
        moves=[
            Move(
                source=R.DRAFT,
                target=R.SUBMITTED,
                label=_("Submit for approval"),
                permission=permissions.can_submit_review,
                guards=(guard_review_complete,),
                milestone="submitted_at",
            ),
            Move(
                source=R.RETURNED,
                target=R.SUBMITTED,
                label=_("Submit again"),
                permission=permissions.can_submit_review,
                guards=(guard_review_complete,),
                milestone="submitted_at",
            ),
            Move(
                source=R.SUBMITTED,
                target=R.RETURNED,
                label=_("Return for changes"),
                permission=permissions.can_approve_review,
                needs_reason=True,
                reason_hint=_("Say what must change."),
                milestone="returned_at",
            ),
            Move(
                source=R.SUBMITTED,
                target=R.APPROVED,
                label=_("Approve"),
                permission=permissions.can_approve_review,
                needs_reason=True,
                reason_hint=_("The approval comment."),
                milestone="approved_at",
            ),
        ],
    )


REVIEW_LIFECYCLE = _review_lifecycle()
