"""The consistency check finds each kind of gap in a system's evidence trail, and a system
whose trail is complete shows none (the positive control of every absence check)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from capa.tests.factories import raise_capa
from incidents.tests.factories import (
    add_evidence,
    deploy,
    file_incident,
    incident_at,
    model_version,
)
from inventory import services as inventory
from risk import trail
from risk.tests.factories import raise_risk
from risk.tests.impact_factories import approved_assessment

pytestmark = pytest.mark.django_db


def codes(user, system):
    return {g.code for g in trail.find_gaps(trail.scope_for(user, [system]))}


def clean_system(make_system, users, **data):
    """A system in production whose trail is complete: its version approved, deployed with a
    change reference, and an open risk reviewed in the future."""
    grc = users["grc"]
    system = make_system(lifecycle_status="production", **data)
    version = model_version(system, grc, evaluation_summary="AUC 0.91 on holdout 2026-Q3")
    inventory.model_version_approve(actor=users["risk_officer"], version=version)
    inventory.deployment_record(
        actor=grc,
        system=system,
        data={
            "model_version": version,
            "deployed_at": timezone.now() - timedelta(days=2),
            "change_reference": "CHG-1042",
        },
    )
    raise_risk(
        grc,
        systems=[system],
        next_review_date=timezone.localdate() + timedelta(days=30),
    )
    approved_assessment(grc, users["risk_officer"], system)
    return system, version


def test_a_complete_trail_has_no_gap(make_system, users):
    system, _version = clean_system(make_system, users)
    assert codes(users["grc"], system) == set()
    assert trail.consistency_check(users["grc"])["gaps"] == []


def test_production_version_never_approved(make_system, users):
    system, _ = clean_system(make_system, users)
    unapproved = model_version(system, users["grc"], label="v2")
    deploy(system, users["grc"], unapproved)
    gaps = trail.find_gaps(trail.scope_for(users["grc"], [system]))
    [gap] = [g for g in gaps if g.code == "version_not_approved"]
    assert gap.subject == "v2" and "never approved" in gap.message
    assert gap.fix_url == system.get_absolute_url()


def test_a_staging_only_version_need_not_be_approved_yet(make_system, users):
    system, _ = clean_system(make_system, users)
    staged = model_version(system, users["grc"], label="v3")
    inventory.deployment_record(
        actor=users["grc"],
        system=system,
        data={
            "model_version": staged,
            "environment": "staging",
            "deployed_at": timezone.now() - timedelta(hours=1),
            "change_reference": "CHG-7",
        },
    )
    assert "version_not_approved" not in codes(users["grc"], system)


def test_deployment_without_change_reference(make_system, users):
    system, version = clean_system(make_system, users)
    deploy(system, users["grc"], version)  # no change reference
    assert "deployment_without_change_reference" in codes(users["grc"], system)


def test_rollback_without_incident_and_with_one(make_system, users):
    system, version = clean_system(make_system, users)
    inventory.deployment_record(
        actor=users["grc"],
        system=system,
        data={
            "model_version": version,
            "deployed_at": timezone.now() - timedelta(hours=3),
            "change_type": "rollback",
            "change_reference": "CHG-9",
        },
    )
    assert "rollback_without_incident" in codes(users["grc"], system)
    incident = file_incident(users["grc"], systems=[system])
    add_evidence(incident, users["grc"])
    inventory.deployment_record(
        actor=users["grc"],
        system=system,
        data={
            "model_version": version,
            "deployed_at": timezone.now(),
            "change_type": "rollback",
            "change_reference": f"CHG-10 for {incident.reference}",
        },
    )
    gaps = [
        g
        for g in trail.find_gaps(trail.scope_for(users["grc"], [system]))
        if g.code == "rollback_without_incident"
    ]
    assert len(gaps) == 1  # only the first rollback, which no incident explains


def test_threshold_change_without_naming_an_incident(make_system, users):
    system, _ = clean_system(make_system, users)
    grc = users["grc"]
    rule = inventory.monitoring_rule_create(
        actor=grc,
        system=system,
        data={"metric": "approval_rate_psi", "threshold": "0.2", "channel": "alertmanager: ml"},
    )
    assert "threshold_change_without_incident" not in codes(grc, system)
    rule = inventory.monitoring_rule_update(
        actor=grc, rule=rule, data={"threshold": "0.3", "change_reason": "Too noisy."}
    )
    assert "threshold_change_without_incident" in codes(grc, system)


def test_threshold_change_naming_its_incident_is_linked(make_system, users):
    system, _ = clean_system(make_system, users)
    grc = users["grc"]
    incident = file_incident(grc, systems=[system])
    rule = inventory.monitoring_rule_create(
        actor=grc,
        system=system,
        data={"metric": "approval_rate_psi", "threshold": "0.2", "channel": "alertmanager: ml"},
    )
    inventory.monitoring_rule_update(
        actor=grc,
        rule=rule,
        data={"threshold": "0.1", "change_reason": f"Tightened after {incident.reference}."},
    )
    assert "threshold_change_without_incident" not in codes(grc, system)
    inventory.monitoring_rule_update(
        actor=grc, rule=rule, data={"threshold": "0.15", "change_reason": "After INC-1999-0001."}
    )
    assert "threshold_change_without_incident" in codes(grc, system)  # no such incident


def test_closed_incident_without_a_later_system_update(make_system, users):
    system, _ = clean_system(make_system, users)
    grc = users["grc"]
    incident = incident_at("closed", grc, system)
    gaps = [
        g
        for g in trail.find_gaps(trail.scope_for(grc, [system]))
        if g.code == "system_not_updated_after_incident"
    ]
    assert [g.subject for g in gaps] == [incident.reference]
    assert gaps[0].fix_url.endswith(f"/systems/{system.pk}/edit/")
    inventory.system_update(actor=grc, system=system, data={"validation_status": "validated"})
    assert "system_not_updated_after_incident" not in codes(grc, system)


def test_capa_overdue(make_system, users):
    system, _ = clean_system(make_system, users)
    grc = users["grc"]
    raise_capa(grc, users["engineer"], system=system)
    assert "capa_overdue" not in codes(grc, system)
    with time_machine.travel(timezone.now() + timedelta(days=120)):
        assert "capa_overdue" in codes(grc, system)


def test_risk_past_its_review(make_system, users):
    system, _ = clean_system(make_system, users)
    assert "risk_review_overdue" not in codes(users["grc"], system)
    with time_machine.travel(timezone.now() + timedelta(days=45)):
        gaps = trail.find_gaps(trail.scope_for(users["grc"], [system]))
    [gap] = [g for g in gaps if g.code == "risk_review_overdue"]
    assert gap.subject.startswith("RISK-") and "/review/" in gap.fix_url


def test_production_system_with_no_risk(make_system, users):
    bare = make_system(lifecycle_status="production")
    design = make_system(lifecycle_status="design")
    assert "production_without_risk" in codes(users["grc"], bare)
    assert "production_without_risk" not in codes(users["grc"], design)


def test_impact_assessment_missing_overdue_or_due_for_review(make_system, users):
    grc = users["grc"]
    bare = make_system(lifecycle_status="production", name="No assessment")
    [gap] = [
        g for g in trail.find_gaps(trail.scope_for(grc, [bare])) if g.code.startswith("impact")
    ]
    assert "no approved impact assessment" in gap.message and "/risks/impact/new/" in gap.fix_url
    assert "impact_assessment_due" not in codes(grc, make_system(lifecycle_status="design"))

    system, version = clean_system(make_system, users)
    steps = {step.key: step for step in trail.system_trail(grc, system)["steps"]}
    assert steps["impact"].rows and not steps["impact"].gaps
    deploy(system, grc, version, change_type="retrain")
    [gap] = [
        g for g in trail.find_gaps(trail.scope_for(grc, [system])) if g.code.startswith("impact")
    ]
    assert "due for review" in gap.message and "retrain" in gap.message.lower()

    later = timezone.now() + timedelta(days=400)  # past the assessment's next due date
    other, _ = clean_system(make_system, users, name="Assessed long ago")
    with time_machine.travel(later, tick=False):
        [gap] = [
            g for g in trail.find_gaps(trail.scope_for(grc, [other])) if g.code.startswith("impact")
        ]
    assert "was due for its next assessment" in gap.message


def test_filters_by_kind_and_system_and_counts_each_kind(make_system, users):
    system, version = clean_system(make_system, users)
    other = make_system(lifecycle_status="production")
    deploy(system, users["grc"], version)
    result = trail.consistency_check(users["grc"])
    assert result["counts"]["production_without_risk"] == 1
    assert result["counts"]["deployment_without_change_reference"] == 1
    only = trail.consistency_check(users["grc"], codes=["production_without_risk"])
    assert {g.system_id for g in only["gaps"]} == {other.pk}
    mine = trail.consistency_check(users["grc"], system_id=system.pk)
    assert {g.code for g in mine["gaps"]} == {"deployment_without_change_reference"}


def test_a_registered_check_joins_the_trail(make_system, users):
    system = make_system(lifecycle_status="design")

    def find(scope):
        return [
            trail.Gap(
                code="impact_assessment_missing",
                system_id=s.pk,
                system_reference=s.reference,
                subject=s.reference,
                message="No impact assessment.",
                fix_url="/",
            )
            for s in scope.systems
        ]

    check = trail.GapCheck(
        code="impact_assessment_missing", label="IA missing", step="impact", order=90, find=find
    )
    step = trail.TrailStep(key="impact", title="Impact assessments", order=90, rows=lambda s: {})
    trail.register_gap_check(check)
    trail.register_trail_step(step)
    try:
        result = trail.system_trail(users["grc"], system)
        impact = [s for s in result["steps"] if s.key == "impact"][0]
        assert [g.code for g in impact.gaps] == ["impact_assessment_missing"]
    finally:
        trail._CHECKS.pop("impact_assessment_missing")
        trail._STEPS.pop("impact")
    assert "impact_assessment_missing" not in codes(users["grc"], system)


def test_pure_rules():
    now = timezone.now()
    assert trail.names_known_incident("after inc-2026-0042", {"INC-2026-0042"})
    assert not trail.names_known_incident("after INC-2026-0042", set())
    assert trail.entry_updated_after(now, now - timedelta(seconds=1))
    assert not trail.entry_updated_after(now - timedelta(seconds=1), now)
    assert not trail.entry_updated_after(None, now)
    assert trail.review_overdue(now.date() - timedelta(days=1), now.date())
    assert not trail.review_overdue(now.date(), now.date())
    assert trail.capa_overdue("open", now - timedelta(seconds=1), now)
    assert not trail.capa_overdue("implemented", now - timedelta(days=1), now)
