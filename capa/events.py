"""Typed timeline entries of the learning loop, written on the incident's timeline (the one
spine of the case file) through ``incidents.events.module_event``."""

from incidents.choices import TimelineKind
from incidents.events import module_event


def _event(incident, actor, kind, summary, **data):
    return module_event(
        incident=incident, actor=actor, kind=kind, summary=summary, data={"module": "capa", **data}
    )


def root_cause_proposed_event(*, incident, actor, root_cause):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Root cause considered — {root_cause.get_category_display()}: {root_cause.statement}",
        root_cause=root_cause.pk,
        category=root_cause.category,
    )


def why_added_event(*, incident, actor, why):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Why {why.position}: {why.question} — {why.answer}",
        root_cause=why.root_cause_id,
        why=why.pk,
    )


def diagnostic_added_event(*, incident, actor, diagnostic):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Diagnostic ({diagnostic.get_method_display()}): {diagnostic.result} — "
        f"{diagnostic.get_outcome_display().lower()}",
        root_cause=diagnostic.root_cause_id,
        diagnostic=diagnostic.pk,
        outcome=diagnostic.outcome,
    )


def evidence_linked_event(*, incident, actor, link):
    evidence = link.evidence
    return _event(
        incident,
        actor,
        TimelineKind.EVIDENCE,
        f"Evidence {evidence.original_name} (SHA-256 {evidence.sha256[:16]}…) linked to the "
        f"root cause {link.root_cause.get_category_display().lower()}",
        root_cause=link.root_cause_id,
        evidence=evidence.pk,
        sha256=evidence.sha256,
    )


def root_cause_confirmed_event(*, incident, actor, root_cause):
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"Root cause confirmed — {root_cause.get_category_display()}: {root_cause.statement}",
        root_cause=root_cause.pk,
        category=root_cause.category,
        confirmed=True,
    )


def root_cause_ruled_out_event(*, incident, actor, root_cause):
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"Root cause ruled out — {root_cause.get_category_display()}: "
        f"{root_cause.ruled_out_reason}",
        root_cause=root_cause.pk,
        category=root_cause.category,
        ruled_out=True,
    )


def scope_recorded_event(*, incident, actor, scope):
    what = "Scope confirmed" if scope.is_confirmed else "Scope estimated"
    summary = (
        f"{what}: {scope.confirmed_count} of {scope.population} decisions "
        f"({scope.percentage} %), bounds {scope.lower_bound}–{scope.upper_bound}; "
        f"{scope.sample_failures} failures in a hand-verified sample of {scope.sample_size}"
    )
    if not scope.is_confirmed:
        summary += f". Uncertain: {scope.uncertainty_note}"
    return _event(
        incident,
        actor,
        TimelineKind.DECISION if scope.is_confirmed else TimelineKind.UPDATE,
        summary,
        scope=scope.pk,
        status=scope.status,
        count=scope.confirmed_count,
        lower=scope.lower_bound,
        upper=scope.upper_bound,
    )


def remediation_item_added_event(*, incident, actor, item):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Remediation planned ({item.get_horizon_display()}, {item.get_kind_display()}): "
        f"{item.description} — owner {item.owner}, due {item.due_on:%Y-%m-%d}",
        item=item.pk,
        horizon=item.horizon,
    )


def remediation_item_done_event(*, incident, actor, item):
    summary = f"Remediation done ({item.get_horizon_display()}): {item.description}"
    if item.done_note:
        summary += f" — {item.done_note}"
    return _event(incident, actor, TimelineKind.UPDATE, summary, item=item.pk, done=True)


def reprocessing_event(*, incident, actor, plan):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Re-processing: {plan.reprocessed_cases} of {plan.affected_cases} affected cases "
        f"re-processed, {plan.outcome_changed_cases} outcomes changed, "
        f"{plan.remaining_cases} remaining",
        affected=plan.affected_cases,
        reprocessed=plan.reprocessed_cases,
        outcome_changed=plan.outcome_changed_cases,
        remaining=plan.remaining_cases,
    )


def fix_verified_event(*, incident, actor, plan):
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"Fix verified on the failing input types: {plan.fix_verification}",
        fix_verified=True,
    )


def normal_operation_restored_event(*, incident, actor, plan):
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"Normal operation restored: {plan.restored_note}",
        restored=True,
    )


def recurrence_event(*, incident, actor, recurrence, other):
    """Written on both incidents' timelines, each naming the other."""
    earlier = recurrence.earlier_incident_id == other.pk
    relation = "recurs" if earlier else "recurred as"
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"Recurrence: this incident {relation} {other.reference} on {recurrence.system} — same "
        f"root-cause category ({recurrence.get_category_display().lower()}), "
        f"{recurrence.days_apart} days apart (window {recurrence.window_days} days)",
        recurrence=recurrence.pk,
        other=other.pk,
    )


def capas_in_doubt_event(*, incident, actor, recurrence, references):
    """On the earlier incident: its CAPAs did not stop the failure coming back."""
    return _event(
        incident,
        actor,
        TimelineKind.DECISION,
        f"CAPAs possibly ineffective: {', '.join(references)} — this incident recurred as "
        f"{recurrence.later_incident.reference} on {recurrence.system} with the same "
        f"root-cause category ({recurrence.get_category_display().lower()}); verify their "
        f"effect again or raise a follow-up",
        recurrence=recurrence.pk,
        capas=list(references),
    )


# === CAPA records, effectiveness checks, audit findings and the no-CAPA decision ============
def capa_linked_event(*, incident, actor, capa):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"{capa.reference} raised ({capa.get_action_type_display().lower()}, "
        f"{capa.get_horizon_display().lower()}): {capa.title}, owner {capa.owner}",
        data={"module": "capa", "capa": capa.pk, "reference": capa.reference},
    )


def capa_status_event(*, incidents, actor, capa, source, target, reason=""):
    summary = f"{capa.reference} {source} -> {target}"
    if reason:
        summary += f": {reason}"
    for incident in incidents:
        module_event(
            incident=incident,
            actor=actor,
            kind=TimelineKind.UPDATE if target != "verified_effective" else TimelineKind.APPROVAL,
            summary=summary,
            data={"module": "capa", "capa": capa.pk, "from": source, "to": target},
        )


def check_result_event(*, incidents, actor, capa, check):
    summary = f"{capa.reference} effectiveness check {check.get_result_display().lower()}"
    if check.result_note:
        summary += f": {check.result_note}"
    for incident in incidents:
        module_event(
            incident=incident,
            actor=actor,
            kind=TimelineKind.APPROVAL,
            summary=summary,
            data={"module": "capa", "capa": capa.pk, "result": check.result},
        )


def no_capa_event(*, incident, actor, decision):
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"No CAPA needed: {decision.reason}",
        data={"module": "capa", "no_capa": True},
    )


# === Management review (clause 9.3) ===========================================================
def review_covered_event(*, incident, actor, review):
    """The incident was among the significant incidents a recorded management review covered."""
    return module_event(
        incident=incident,
        actor=actor,
        kind=TimelineKind.DECISION,
        summary=f"Covered by management review {review.reference} held "
        f"{review.meeting_date:%Y-%m-%d} (period {review.period_start:%Y-%m-%d} to "
        f"{review.period_end:%Y-%m-%d})",
        data={"module": "capa", "management_review": review.pk, "reference": review.reference},
    )


# --- post-incident reviews --------------------------------------------------------------------


def review_opened_event(*, incident, actor, review):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Post-incident review {review.reference} opened, due {review.due_at:%Y-%m-%d %H:%M}",
        review=review.pk,
    )


def review_status_event(*, incident, actor, review, source, target, reason=""):
    summary = f"Post-incident review {review.reference}: {source} → {target}"
    if reason:
        summary += f" — {reason}"
    return _event(
        incident,
        actor,
        {"approved": TimelineKind.APPROVAL, "returned": TimelineKind.DECISION}.get(
            target, TimelineKind.UPDATE
        ),
        summary,
        review=review.pk,
        source=source,
        target=target,
    )


def review_action_event(*, incident, actor, review, action):
    return _event(
        incident,
        actor,
        TimelineKind.UPDATE,
        f"Post-incident review {review.reference}: {action.get_update_kind_display().lower()} "
        f"as {action.capa.reference} (owner {action.capa.owner}, due "
        f"{action.capa.due_at:%Y-%m-%d})",
        review=review.pk,
        capa=action.capa_id,
    )
