"""Demo data for the learning loop: one P1 incident followed from its root cause to a fix that was
verified to work, and the risk register it changed — all through the real services, so the demo
shows what an auditor would follow (ISO/IEC 42001 clause 10.2)."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

SYSTEM = "Résumé screener"


def load_learning_loop(users, systems) -> int:
    """The closed P1 incident with its learning loop, and the risks; returns incidents added."""
    from capa import services as capa
    from disclosure import services as disclosure
    from incidents import services as incidents
    from risk import incident_links
    from risk import services as risk
    from risk.models import Control

    grace, rick, eli, lena = users["grace"], users["rick"], users["eli"], users["lena"]
    system = systems[SYSTEM]
    now = timezone.now()

    incident = incidents.incident_create(
        actor=eli,
        systems=[system],
        severity=1,
        severity_reason="Systematically wrong rankings for a defined group of applicants.",
        data={
            "title": "Screener down-ranked applicants with career gaps after the vendor update",
            "description": "Recruiters noticed that applicants with a gap of a year or more "
            "in their history were ranked in the bottom quartile since the vendor's model update.",
            "types": ["bias"],
            "failure_nature": "wrong_classification",
            "scope": "subset",
            "affected_inputs": "Applications with a career gap of twelve months or more",
            "detection_source": "employee",
            "detected_at": now - timedelta(days=24),
            "failure_began_at": now - timedelta(days=31),
            "individuals_affected_estimate": 300,
            "jurisdictions": ["EU"],
        },
    )
    incidents.incident_assign_lead(actor=grace, incident=incident, lead=rick)
    incidents.incident_transition(actor=rick, incident=incident, to="triaged")
    ranking = incidents.evidence_add(
        actor=eli,
        incident=incident,
        kind="sample_io",
        uploaded_file=SimpleUploadedFile(
            "career-gap-rankings.csv",
            b"application,gap_months,rank_before,rank_after\nhash:1f0a,14,12,188\n"
            b"hash:77b2,26,40,201\nhash:c9e1,13,7,176\n",
        ),
        description="Rankings of the same applications before and after the vendor update.",
    )
    incidents.containment_decide(
        actor=rick,
        incident=incident,
        option="pause",
        rationale="Recruiters review every application by hand until the ranking is fixed.",
    )
    incidents.incident_transition(actor=rick, incident=incident, to="contained")
    incidents.incident_transition(actor=rick, incident=incident, to="investigating")

    # Root cause: the vendor's update, confirmed by an evaluation before and after; the
    # integration was considered and ruled out.
    ruled_out = capa.root_cause_propose(
        actor=rick,
        incident=incident,
        category="integration_bug",
        statement="The parser drops the dates of gaps, so the model sees a shorter history.",
    )
    capa.diagnostic_add(
        actor=eli,
        root_cause=ruled_out,
        method="failing_case_trace",
        description="Traced application hash:1f0a through the integration.",
        result="Every date reached the model intact.",
        outcome="refutes",
    )
    cause = capa.root_cause_propose(
        actor=rick,
        incident=incident,
        category="vendor_model_change",
        statement="The vendor's model update weights continuous employment far more heavily.",
    )
    for question, answer in (
        (
            "Why were applicants with gaps ranked last?",
            "The new model scores continuous employment above skills.",
        ),
        (
            "Why did the new model reach production unnoticed?",
            "The vendor updated the model behind the same endpoint, unversioned.",
        ),
        (
            "Why was an unversioned endpoint in use?",
            "The contract does not require version pinning or change notice.",
        ),
    ):
        capa.why_add(actor=rick, root_cause=cause, question=question, answer=answer)
    capa.diagnostic_add(
        actor=eli,
        root_cause=cause,
        method="eval_before_after",
        description="Ran the fairness evaluation set on the old and the new model version.",
        result="Selection rate for applicants with gaps fell from 0.31 to 0.08; others unchanged.",
        outcome="supports",
    )
    capa.evidence_link(actor=rick, root_cause=cause, evidence=ranking)
    capa.root_cause_confirm(actor=rick, root_cause=cause)

    capa.scope_record(
        actor=rick,
        incident=incident,
        confirm=True,
        data={
            "period_start": now - timedelta(days=31),
            "period_end": now - timedelta(days=24),
            "population": 4200,
            "classification_rule": "An application with a gap of 12+ months ranked in the "
            "bottom quartile by the updated model and in the top half by the previous one.",
            "sample_size": 200,
            "sample_failures": 14,
            "confirmed_count": 287,
            "lower_bound": 262,
            "upper_bound": 311,
            "uncertainty_note": "",
        },
    )
    incidents.incident_transition(actor=rick, incident=incident, to="remediating")

    for horizon, kind, description, days in (
        ("immediate", "suspension", "Rank by hand until the vendor pins the old model.", 1),
        ("short_term", "reprocess", "Re-rank the 287 affected applications.", 10),
        ("short_term", "monitoring", "Alert on the selection rate of applicants with gaps.", 14),
    ):
        item = capa.remediation_item_add(
            actor=rick,
            incident=incident,
            horizon=horizon,
            kind=kind,
            description=description,
            owner=eli,
            due_on=timezone.localdate() + timedelta(days=days),
        )
        capa.remediation_item_done(actor=eli, item=item, note="Done and checked.")
    capa.reprocessing_update(
        actor=rick,
        incident=incident,
        affected_cases=287,
        reprocessed_cases=287,
        outcome_changed_cases=41,
        remaining_cases=0,
    )
    capa.fix_verify(
        actor=rick,
        incident=incident,
        verification="The pinned model ranks the 200 sampled applications as before the update.",
    )
    capa.normal_operation_restore(
        actor=rick, incident=incident, note="Automatic ranking back on the pinned version."
    )

    # The CAPA: owned by the engineer, verified effective by the risk officer — not the owner.
    action = capa.capa_create(
        actor=grace,
        data={
            "action_type": "corrective",
            "title": "Pin the vendor model version and require change notice",
            "description": "Call the vendor model by explicit version; contract amendment for "
            "30 days' notice of model changes; a vendor scorecard reviewed quarterly.",
            "owner": eli,
            "horizon": "short_term",
        },
        incidents=[incident],
    )
    capa.capa_transition(actor=eli, capa=action, to="in_progress")
    capa.capa_evidence_add(
        actor=eli,
        capa=action,
        uploaded_file=SimpleUploadedFile(
            "pin-vendor-model.diff",
            b"--- a/screener.yaml\n+++ b/screener.yaml\n-model: vendor/ranker\n"
            b"+model: vendor/ranker@2026-09-14\n",
        ),
        description="The configuration change that pins the model.",
    )
    capa.effectiveness_check_plan(
        actor=rick,
        capa=action,
        criterion="Selection rate for applicants with gaps within 10% of the rate before the "
        "update, over two weeks of live traffic.",
        method="Weekly fairness report on live rankings.",
    )
    capa.capa_transition(actor=eli, capa=action, to="implemented")
    capa.effectiveness_check_record(
        actor=rick, capa=action, result="passed", note="0.30 and 0.29 in the two weeks."
    )
    capa.capa_transition(actor=rick, capa=action, to="verified_effective")

    # The risk register: the risk that materialised, re-rated by the incident.
    controls = list(Control.objects.filter(code__in=["A.10.3", "A.6.2.6"]))
    supplier = risk.risk_create(
        actor=rick,
        data={
            "title": "Vendor changes the screening model without notice",
            "description": "The supplier updates the ranking model behind the same endpoint.",
            "cause": "No version pinning or change notice in the contract.",
            "consequence": "Unfair rankings of applicants; EU AI Act high-risk obligations.",
            "category": "fairness",
            "owner": rick,
            "inherent_likelihood": 3,
            "inherent_impact": 5,
            "treatment": "mitigate",
            "residual_likelihood": 2,
            "residual_impact": 4,
            "systems": [system],
            "controls": controls,
        },
    )
    risk.risk_transition(actor=rick, risk=supplier, to="assessed")
    risk.risk_transition(actor=rick, risk=supplier, to="treated")
    incident_links.incident_risk_materialised(
        actor=rick, incident=incident, risk=supplier, reason="The vendor changed the model."
    )
    incident_links.incident_risk_rerate(
        actor=rick,
        incident=incident,
        risk=supplier,
        which="inherent",
        likelihood=4,
        impact=5,
        reason="It happened within a year of the contract: more likely than assessed.",
    )

    risk.incident_risk_review_record(
        actor=rick,
        incident=incident,
        outcome="changed",
        reason="The supplier risk materialised and was re-rated.",
    )

    incidents.incident_update(
        actor=rick,
        incident=incident,
        data={
            "individuals_affected_confirmed": 287,
            "verification_note": "The pinned model ranks the sampled applications as before.",
            "closing_summary": "Vendor model pinned, affected applications re-ranked, selection "
            "rate monitored; the supplier risk was re-rated.",
        },
    )
    incidents.incident_transition(actor=rick, incident=incident, to="resolved")

    assessment = disclosure.assessment_refresh(actor=lena, incident=incident)
    for row in assessment.obligations.exclude(proposed="no"):
        disclosure.obligation_confirm(
            actor=lena,
            obligation=row,
            applies="no" if row.proposed == "undetermined" else row.proposed,
            reason="Assessed by counsel with the DPO for the demo incident.",
        )
    disclosure.assessment_sign_off(actor=lena, assessment=assessment)
    incidents.incident_transition(actor=rick, incident=incident, to="closed")

    # Closing opened the post-incident review: lessons, one policy update as a CAPA, approval by
    # the AI risk officer; then the management review that saw the incident.
    from capa.models import PostIncidentReview

    review = PostIncidentReview.objects.get(incident=incident)
    capa.review_update(
        actor=grace,
        review=review,
        data={
            "controls_failed": "Supplier change management: no notice of the model update.",
            "controls_worked": "Recruiters' spot checks; containment by hand review in a day.",
            "process_followed": "yes",
            "caught_sooner": "A fairness check on live rankings after any supplier change.",
        },
    )
    capa.review_raise_capa(
        actor=grace,
        review=review,
        update_kind="policy",
        data={
            "action_type": "preventive",
            "title": "Supplier policy: model-change notice and a fairness check on every update",
            "description": "Amend the supplier policy and the procurement checklist.",
            "owner": grace,
            "horizon": "long_term",
            "due_at": now + timedelta(days=60),
        },
    )
    capa.review_submit(actor=grace, review=review)
    capa.review_approve(actor=rick, review=review, comment="Lessons and the policy update agreed.")

    meeting = capa.management_review_create(
        actor=grace,
        data={
            "meeting_date": timezone.localdate(),
            "period_start": timezone.localdate() - timedelta(days=90),
            "period_end": timezone.localdate(),
            "attendees": [users["erin"], users["cyrus"], rick, grace],
            "minutes": "Reviewed the quarter's significant incidents, CAPA status and the "
            "open audit findings.",
            "decisions": "Fund input-distribution monitoring for all high-risk systems.",
        },
    )
    capa.management_review_transition(actor=grace, review=meeting, to="recorded")
    return 1
