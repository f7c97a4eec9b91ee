"""Who may do what in the learning loop (DESIGN section 6), each rule written once.

Reading follows the incident: whoever may see an incident (``incidents_visible_to``) reads its
root-cause analysis, scope and remediation plan — auditors included; nobody else learns that a
record exists (404).

Root cause and scope
- The investigation is run by the people who run the incident — GRC staff, the AI risk officer
  and the incident lead (``incidents.permissions.manages``): they propose candidate causes, write
  the five-whys chain, and *confirm* or *rule out*. Confirming decides what the case file, the
  CAPAs and the regulators are told and stamps a lifecycle milestone of the incident, so it
  belongs to the same people who move the lifecycle, not to every contributor.
- Engineers add diagnostics and evidence links for the systems they own (business or technical
  owner of an affected system): they run the evaluation set, the trace, the distribution check.
- The scope confirmed to regulators is recorded by the same people who run the incident.

Remediation
- The plan, its items, the verification of the fix and the "normal operation restored" decision
  are the incident managers'; an item's owner may also mark it done.
"""

from django.utils.translation import gettext_lazy as _

from aims.accounts.choices import MANAGERS, Role
from aims.core.permissions import Decision, decide, has_any_role, has_role, is_signed_in
from incidents.models import AffectedSystem
from incidents.permissions import manages

MANAGE_REFUSAL = _("Only GRC staff, the AI risk officer and the incident lead %(what)s.")


def _managers_and_lead(what) -> str:
    return MANAGE_REFUSAL % {"what": what}


def owns_affected_system(user, incident) -> bool:
    """The engineer is business or technical owner of one of the incident's affected systems."""
    if not (is_signed_in(user) and has_role(user, Role.ENGINEER)):
        return False
    from django.db.models import Q

    return AffectedSystem.objects.filter(
        Q(system__business_owner=user) | Q(system__technical_owner=user), incident=incident
    ).exists()


def can_read(user) -> Decision:
    return decide(
        has_any_role(user),
        _("Your account has no role in AIMS Register; ask GRC staff to assign one."),
    )


def can_analyse(user, incident) -> Decision:
    """Propose candidate causes, write the five-whys chain and contributing factors."""
    return decide(manages(user, incident), _managers_and_lead(_("write the root-cause analysis")))


def can_add_diagnostic(user, incident) -> Decision:
    """Diagnostics and evidence links: the incident's managers and the engineers who own an
    affected system (they hold the evaluation sets, logs and traces)."""
    return decide(
        manages(user, incident) or owns_affected_system(user, incident),
        _(
            "Only GRC staff, the AI risk officer, the incident lead and the engineers who own "
            "an affected system add diagnostics and evidence to the root-cause analysis."
        ),
    )


def can_confirm_root_cause(user, incident) -> Decision:
    """Confirm or rule out a cause: those who move the lifecycle (it stamps a milestone)."""
    return decide(
        manages(user, incident), _managers_and_lead(_("confirm or rule out a root cause"))
    )


def can_record_scope(user, incident) -> Decision:
    return decide(
        manages(user, incident), _managers_and_lead(_("record or confirm the incident's scope"))
    )


def can_plan_remediation(user, incident) -> Decision:
    """Plan items, re-processing counts, the verification of the fix, normal operation."""
    return decide(manages(user, incident), _managers_and_lead(_("change the remediation plan")))


def can_complete_item(user, item) -> Decision:
    incident = item.plan.incident
    return decide(
        manages(user, incident) or (is_signed_in(user) and item.owner_id == user.pk),
        _(
            "Only the item's owner, GRC staff, the AI risk officer and the incident lead mark "
            "a remediation item done."
        ),
    )


def can_edit_recurrence_policy(user) -> Decision:
    return decide(has_role(user, Role.GRC), _("Only GRC staff change the recurrence window."))


# === CAPA records, effectiveness checks, audit findings and the no-CAPA decision ============
NO_ROLE = _("Your account has no role in AIMS Register; ask GRC staff to assign one.")


def is_manager(user) -> bool:
    return has_role(user, *MANAGERS)


def works_on(user, capa) -> bool:
    return is_signed_in(user) and capa.is_owner_or_implementer(user)


def can_create_capa(user) -> Decision:
    return decide(is_manager(user), _("Only GRC staff and the AI risk officer raise CAPAs."))


def can_edit_capa(user, capa) -> Decision:
    return decide(
        is_manager(user) or works_on(user, capa),
        _("Only the CAPA's owner, its implementer, GRC staff and the AI risk officer edit it."),
    )


def can_work_on_capa(user, capa) -> Decision:
    """Start and implement the CAPA, send it back for rework."""
    return decide(
        is_manager(user) or works_on(user, capa),
        _("Only the CAPA's owner, its implementer, GRC staff and the AI risk officer move it."),
    )


def can_add_capa_evidence(user, capa) -> Decision:
    return decide(
        is_manager(user) or works_on(user, capa),
        _(
            "Only the CAPA's owner, its implementer, GRC staff and the AI risk officer add evidence."
        ),
    )


def can_plan_check(user, capa) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer plan an effectiveness check."),
    )


def can_verify(user, capa) -> Decision:
    """Record the effectiveness check's result and the verdict: an approver who neither owns
    nor implements the CAPA (ISO/IEC 42001 10.2: the effect is checked independently)."""
    if works_on(user, capa):
        return decide(
            False,
            _(
                "The CAPA's owner and implementer cannot verify its effectiveness: someone else must."
            ),
        )
    return decide(
        is_manager(user), _("Only GRC staff and the AI risk officer verify a CAPA's effectiveness.")
    )


def can_cancel_capa(user, capa) -> Decision:
    return decide(is_manager(user), _("Only GRC staff and the AI risk officer cancel a CAPA."))


def can_manage_findings(user, finding=None) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer record and close audit findings."),
    )


def can_decide_no_capa(user, incident) -> Decision:
    """Record that an incident needs no CAPA: GRC, the AI risk officer or the incident lead."""
    lead = is_signed_in(user) and incident.lead_id == user.pk
    return decide(
        is_manager(user) or lead,
        _(
            "Only GRC staff, the AI risk officer and the incident lead decide that no CAPA is needed."
        ),
    )


def reads_all_capas(user) -> bool:
    from aims.accounts.choices import READ_ALL

    return has_role(user, *READ_ALL)


__all__ = ["Role"]


# === Management review (clause 9.3) ==========================================================
# GRC staff and the AI risk officer prepare, record and approve the review and raise its
# actions; top management and the reading roles (executive, CISO, auditor, DPO, legal) read it.


def can_read_reviews(user, review=None) -> Decision:
    from aims.accounts.choices import READ_ALL

    return decide(
        is_signed_in(user) and has_role(user, *READ_ALL),
        _("Only GRC staff, the AI risk officer, management and auditors read management reviews."),
    )


def can_manage_review(user, review=None) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer prepare and record management reviews."),
    )


def can_export_capas(user) -> Decision:
    """The CAPA register as a file (CSV, XLSX): the roles that read the whole register —
    each file holds only the CAPAs its requester may see."""
    from aims.accounts.choices import READ_ALL

    return decide(
        is_signed_in(user) and has_role(user, *READ_ALL),
        _(
            "Only GRC staff, the AI risk officer, auditors, management, the DPO and legal "
            "export the CAPA register."
        ),
    )


# === post-incident reviews ==================================================================
# Reading follows the incident (``selectors.reviews_visible_to``). The review is written by
# those who run the incident (GRC, the AI risk officer, the incident lead) while it is a draft
# or returned; only the AI risk officer approves it or returns it for changes. Its process and
# policy updates are CAPAs, raised by those who raise CAPAs (GRC and the AI risk officer).


def can_edit_review(user, review) -> Decision:
    return decide(
        manages(user, review.incident),
        _managers_and_lead(_("write the post-incident review")),
    )


def can_submit_review(user, review) -> Decision:
    return decide(
        manages(user, review.incident),
        _managers_and_lead(_("submit the post-incident review for approval")),
    )


def can_approve_review(user, review) -> Decision:
    return decide(
        has_role(user, Role.RISK_OFFICER),
        _("Only the AI risk officer approves a post-incident review or returns it for changes."),
    )


def can_raise_review_capa(user, review) -> Decision:
    return decide(
        is_manager(user),
        _("Only GRC staff and the AI risk officer raise the review's CAPAs."),
    )
