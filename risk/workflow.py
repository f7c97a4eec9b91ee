"""The risk lifecycle as a table (``aims.core.workflow``).

draft -> assessed (the inherent rating is given) -> treated (a treatment and the residual
rating) -> accepted (an authorised role accepts the residual risk, with a rationale) -> closed.
Re-assessment goes back to ``assessed`` with a reason — what a new methodology version, an
incident or a review asks for; a closed risk can be reopened with a reason.
"""

from django.utils.translation import gettext_lazy as _

from aims.core.workflow import Lifecycle, Move

from . import permissions
from .choices import DocumentVersionStatus, RiskStatus, Treatment

D, A, T, ACC, C = (
    RiskStatus.DRAFT,
    RiskStatus.ASSESSED,
    RiskStatus.TREATED,
    RiskStatus.ACCEPTED,
    RiskStatus.CLOSED,
)


def inherent_rated(risk, reason):
    if risk.inherent_likelihood is None or risk.inherent_impact is None:
        return str(_("Give the inherent likelihood and impact (1-5) before assessing the risk."))
    return None


def treatment_chosen(risk, reason):
    if not risk.treatment:
        return str(_("Choose a treatment (mitigate, transfer, avoid or accept)."))
    return None


def residual_rated(risk, reason):
    if risk.residual_likelihood is None or risk.residual_impact is None:
        return str(_("Give the residual likelihood and impact (1-5) after treatment."))
    return None


def mitigation_has_controls(risk, reason):
    if risk.treatment == Treatment.MITIGATE and not risk.risk_controls.exists():
        return str(_("A mitigated risk names at least one Annex A control applied to it."))
    return None


def residual_not_above_inherent(risk, reason):
    if (
        risk.residual_score is not None
        and risk.inherent_score is not None
        and risk.residual_score > risk.inherent_score
    ):
        return str(_("The residual score cannot be above the inherent score; check the ratings."))
    return None


edit = permissions.can_move_risk
CLOSE_HINT = _("say why the risk no longer needs treating (e.g. the system was retired).")
REASSESS_HINT = _("say what changed (new methodology version, an incident, a review).")

MOVES = (
    Move(source=D, target=A, label=_("Assess"), permission=edit, guards=(inherent_rated,)),
    Move(
        source=A,
        target=T,
        label=_("Record treatment"),
        permission=edit,
        guards=(
            inherent_rated,
            treatment_chosen,
            residual_rated,
            residual_not_above_inherent,
            mitigation_has_controls,
        ),
    ),
    Move(
        source=T,
        target=ACC,
        label=_("Accept residual risk"),
        permission=permissions.can_accept,
        guards=(residual_rated,),
        needs_reason=True,
        reason_hint=_("give the rationale for accepting the residual risk."),
    ),
    Move(
        source=T,
        target=A,
        label=_("Re-assess"),
        permission=edit,
        needs_reason=True,
        reason_hint=REASSESS_HINT,
    ),
    Move(
        source=ACC,
        target=A,
        label=_("Re-assess"),
        permission=edit,
        needs_reason=True,
        reason_hint=REASSESS_HINT,
    ),
    *(
        Move(
            source=s,
            target=C,
            label=_("Close"),
            permission=edit,
            needs_reason=True,
            reason_hint=CLOSE_HINT,
        )
        for s in (D, A, T, ACC)
    ),
    Move(
        source=C,
        target=A,
        label=_("Reopen"),
        permission=edit,
        needs_reason=True,
        reason_hint=REASSESS_HINT,
    ),
)

LIFECYCLE = Lifecycle(name="risk", subject=_("A risk"), statuses=RiskStatus, moves=MOVES)


# --- impact assessments: draft -> submitted -> approved (then superseded by the next) ----------

from .choices import ImpactResult, ImpactStatus  # noqa: E402


def impact_complete(assessment, reason):
    missing = [
        str(label)
        for field, label in (
            ("intended_use", _("the intended use")),
            ("foreseeable_misuse", _("reasonably foreseeable misuse")),
            ("affected_groups", _("the affected individuals and groups")),
            ("societal_impact", _("the societal impact")),
            ("result", _("the result")),
            ("next_due_date", _("the next due date")),
        )
        if not getattr(assessment, field)
    ]
    if assessment.result == ImpactResult.CONDITIONS and not assessment.conditions.strip():
        missing.append(str(_("the conditions of an acceptable-with-conditions result")))
    if missing:
        return str(_("Give %(missing)s before submitting.")) % {"missing": ", ".join(missing)}
    return None


IMPACT_MOVES = (
    Move(
        source=ImpactStatus.DRAFT,
        target=ImpactStatus.SUBMITTED,
        label=_("Submit for approval"),
        permission=permissions.can_edit_impact,
        guards=(impact_complete,),
    ),
    Move(
        source=ImpactStatus.SUBMITTED,
        target=ImpactStatus.APPROVED,
        label=_("Approve"),
        permission=permissions.can_approve_impact,
        guards=(impact_complete,),
        needs_reason=True,
        reason_hint=_("record the approval comment."),
    ),
    Move(
        source=ImpactStatus.SUBMITTED,
        target=ImpactStatus.DRAFT,
        label=_("Return to the author"),
        permission=permissions.can_approve_impact,
        needs_reason=True,
        reason_hint=_("say what needs changing."),
    ),
)

IMPACT_LIFECYCLE = Lifecycle(
    name="impact_assessment",
    subject=_("An impact assessment"),
    statuses=ImpactStatus,
    moves=IMPACT_MOVES,
)


# --- documented information: a version's lifecycle (clause 7.5.2 and 7.5.3) ---------------------
# draft -> approved -> superseded. Approving a draft supersedes the approved version in the same
# write, so a document has at most one approved version; nothing moves back: a correction is a
# new draft.


def procedure_still_matches(version, reason):
    """A generated procedure is approved only while it still describes the live configuration."""
    from . import procedure

    document = version.document
    if document.generated and version.config_fingerprint != procedure.live_fingerprint(document):
        return str(
            _(
                "The configuration changed since version %(n)s was generated (a clock policy, a "
                "role or a link): generate the procedure again and approve the new draft."
            )
            % {"n": version.number}
        )
    return None


DOCUMENT_VERSION_MOVES = (
    Move(
        source=DocumentVersionStatus.DRAFT,
        target=DocumentVersionStatus.APPROVED,
        label=_("Approve"),
        permission=permissions.can_approve_document,
        guards=(procedure_still_matches,),
        milestone="approved_at",
    ),
    Move(
        source=DocumentVersionStatus.APPROVED,
        target=DocumentVersionStatus.SUPERSEDED,
        label=_("Superseded by a newer approved version"),
        permission=permissions.can_approve_document,
        milestone="superseded_at",
    ),
)

DOCUMENT_VERSION_LIFECYCLE = Lifecycle(
    name="document_version",
    subject=_("A document version"),
    statuses=DocumentVersionStatus,
    moves=DOCUMENT_VERSION_MOVES,
)
