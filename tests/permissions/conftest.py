"""The world the permission matrix runs in, built once per test module through the services.

Every case then runs in its own savepoint (pytest-django's ``db``), so a write an allowed role
makes is rolled back before the next case, and the world stays as built here. The whole module
runs inside one outer transaction that is rolled back at its end.

Scopes (``table.INCIDENT_SCOPES`` and friends):

- ``own``: an incident on the engineer's system, filed by GRC, with evidence;
- ``other``: an incident on a system nobody in the matrix owns (the engineer does not see it);
- ``restricted``: a restricted incident on the engineer's system; the DPO takes part in it;
- ``led``: an incident on the other system whose lead is the engineer;
- ``protected``: an incident GRC opened from a protected-channel report;
- ``signed``: an incident on the engineer's system whose disclosure assessment legal signed off
  (the one scope where it can be reopened);
- systems ``own``/``other``; report runs ``own`` (the caller's) and ``other`` (someone else's).

Disclosure: both systems name a supplier and are frontier developers (SB 53), so every incident
above has an assessment (``sb53_critical_safety_incident`` set: ``ca_sb53`` applies, with a
draft template and a clock), every proposal confirmed by legal but not signed off (except
``signed``), a communication to regulators drafted by GRC (legal approves it), another already
approved, a report draft for the ``ca_sb53`` obligation (drafted by GRC, still a draft: its
text is edited and laid out as PDF), and an unacknowledged notice to the supplier. The DPO
uploaded a list of two affected individuals (``P00000``, ``P00001``, notified by e-mail) on each
of those incidents.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from aims.accounts.choices import Role
from incidents.choices import ParticipantPart
from incidents.tests.factories import add_evidence, deploy, file_incident, model_version

from .table import ANONYMOUS, EXPORTERS, ROLES

PASSWORD = "pw-Secret-123"  # noqa: S105 - test data


@dataclass
class World:
    users: dict
    helper: object  # an engineer outside the matrix: lead and participant bodies name them
    systems: dict  # scope -> AISystem; "free_own"/"free_other" have no incidents (deletable)
    incidents: dict  # scope -> Incident
    evidence: dict  # incident scope -> Evidence
    versions: dict  # system scope -> ModelVersion
    deployments: dict
    rules: dict
    runs: dict  # role -> that role's own finished report run
    samples: dict  # role -> that role's audit sample run
    report: object  # a protected-channel report, not yet converted
    capas: dict = field(default_factory=dict)  # scope -> implemented CAPA, check planned
    capa_evidence: dict = field(default_factory=dict)  # scope -> its closure evidence
    finding: object = None  # an open observation
    obligations: dict = field(default_factory=dict)  # incident scope -> its ca_sb53 obligation
    communications: dict = field(default_factory=dict)  # scope -> {"draft": …, "approved": …}
    notices: dict = field(default_factory=dict)  # incident scope -> supplier notice
    individuals: dict = field(default_factory=dict)  # incident scope -> P00000 of its list
    system_facts: dict = field(default_factory=dict)  # system scope -> SystemFacts
    regime: object = None  # the ca_sb53 row of the rules table
    # The risk module: risks on the engineer's system (``own``) and on the other (``other``),
    # each treated with residual score 12 (high: only the AI risk officer accepts it); a draft
    # methodology version; an Annex A control with one evidence link.
    risks: dict = field(default_factory=dict)
    risk_draft: object = None
    control: object = None
    evidence_link: object = None
    # Impact assessments: "draft" (complete, not submitted) and "submitted" (by GRC), each per
    # system scope.
    impact: dict = field(default_factory=dict)
    review: object = None  # a recorded management review, ready to approve
    # Documented information and retention: "policy" (approved v1 with a file), "draft" (its
    # v2, a draft), "procedure" (the incident procedure, no version), "rule" (a retention
    # rule), "hold" (on the ``led`` incident), "tombstone" (a purged evidence file's).
    documents: dict = field(default_factory=dict)
    api: dict = field(default_factory=dict)  # role -> APIClient with the role's token
    html: dict = field(default_factory=dict)  # role -> logged-in django Client
    # The learning loop: root_causes / items (scope -> a considered root cause ready to confirm,
    # a remediation item owned by the helper), each incident's fix verified, scope estimated.
    capa: dict = field(default_factory=dict)

    def run_for(self, role, scope):
        """The role's own run, or one requested by someone else (GRC's for others, the
        auditor's for GRC)."""
        if scope == "own":
            return self.runs.get(role)
        return self.runs["auditor" if role == "grc" else "grc"]

    def sample_for(self, role, scope):
        if scope == "own":
            return self.samples.get(role)
        return self.samples["auditor" if role == "grc" else "grc"]


def _build_world() -> World:
    from conftest import ensure_seeded

    ensure_seeded()  # an earlier transactional test on this worker may have flushed the seeds
    from aims.accounts.services import user_token, user_upsert_with_role
    from incidents.services import (
        incident_assign_lead,
        participant_add,
        protected_report_convert,
        protected_report_submit,
    )
    from inventory import services as inventory
    from reporting.services import (
        audit_sample_request,
        case_file_request,
        register_export_request,
        report_execute,
    )

    users = {}
    for role in ROLES:
        users[role], _ = user_upsert_with_role(
            username=role, role=role, password=PASSWORD, email=f"{role}@example.com"
        )
    helper, _ = user_upsert_with_role(
        username="helper", role=Role.ENGINEER, password=PASSWORD, email="helper@example.com"
    )
    grc, engineer = users["grc"], users["engineer"]

    def system(name, owner, **extra):
        return inventory.system_create(
            actor=grc,
            data={
                "name": name,
                "intended_purpose": "Answer customer questions",
                "business_owner": owner,
                **extra,
            },
        )

    systems = {
        "own": system("Support assistant", engineer, supplier="Acme Models Ltd"),
        "other": system("Credit scoring", grc, supplier="Acme Models Ltd"),
        "free_own": system("Retired chatbot", engineer),
        "free_other": system("Retired ranker", grc),
    }
    from inventory.models import ModelRegistryLink

    for scope in ("own", "other"):  # linked to a registry nobody runs: a sync is only queued
        ModelRegistryLink.objects.create(
            system=systems[scope],
            tracking_uri="http://127.0.0.1:9",
            model_name=f"model-{scope}",
            linked_by=grc,
        )
    versions, deployments, rules = {}, {}, {}
    for scope in ("own", "other"):
        versions[scope] = model_version(systems[scope], grc, f"v1-{scope}")
        deployments[scope] = deploy(
            systems[scope], grc, versions[scope], at=timezone.now() - timedelta(days=5)
        )
        rules[scope] = inventory.monitoring_rule_create(
            actor=grc,
            system=systems[scope],
            data={"metric": "toxicity_ratio", "threshold": "0.02", "channel": "#ml-alerts"},
        )

    incidents = {
        "own": file_incident(grc, systems=[systems["own"]], severity=2, severity_reason="Subset"),
        "other": file_incident(
            grc, systems=[systems["other"]], severity=2, severity_reason="Subset"
        ),
        "restricted": file_incident(
            grc, systems=[systems["own"]], severity=2, severity_reason="Subset", restricted=True
        ),
        "led": file_incident(grc, systems=[systems["other"]], severity=2, severity_reason="Subset"),
    }
    participant_add(
        actor=grc,
        incident=incidents["restricted"],
        user=users["dpo"],
        part=ParticipantPart.SUBJECT_EXPERT,
    )
    incidents["led"] = incident_assign_lead(actor=grc, incident=incidents["led"], lead=engineer)

    report, _code = protected_report_submit(
        data={
            "description": "My manager told us to switch off the human review of loan refusals.",
            "contact_name": "Whistle Blower",
            "contact_email": "whistle@example.com",
        }
    )
    converted, _code = protected_report_submit(
        data={
            "description": "The hiring screener ranks women lower.",
            "contact_name": "Concerned Colleague",
        }
    )
    incidents["protected"] = protected_report_convert(
        actor=grc, report=converted, system_ids=[systems["other"].pk], title="Hiring screener bias"
    )
    incidents["signed"] = file_incident(
        grc, systems=[systems["own"]], severity=2, severity_reason="Subset"
    )
    evidence = {scope: add_evidence(incident, grc) for scope, incident in incidents.items()}
    _failed_registry_rollbacks(grc, systems, incidents)
    capas, capa_evidence, finding = _capa_world(grc, engineer, helper, incidents)
    disclosure = _disclose(users, systems, incidents)

    runs = {}
    for role in EXPORTERS:
        run = register_export_request(actor=users[role], fmt="csv", params={})
        runs[role] = report_execute(run.pk)
    # Engineers make no exports; their run is a case file of an incident they see.
    run = case_file_request(actor=engineer, incident=incidents["own"])
    runs["engineer"] = report_execute(run.pk)
    samples = {
        role: audit_sample_request(actor=users[role], data={"size": 1, "seed": 7})
        for role in ("grc", "risk_officer", "auditor")
    }

    risks, risk_draft, control, link = _build_risks(users, systems)
    world = World(
        risks=risks,
        risk_draft=risk_draft,
        control=control,
        evidence_link=link,
        users=users,
        helper=helper,
        systems=systems,
        incidents=incidents,
        evidence=evidence,
        versions=versions,
        deployments=deployments,
        rules=rules,
        runs=runs,
        samples=samples,
        report=report,
        capas=capas,
        capa_evidence=capa_evidence,
        finding=finding,
        **disclosure,
    )
    world.capa = _build_learning_loop(world)
    world.impact = _build_impact(users, systems)
    world.review = _build_review(users)
    world.documents = _build_documents(users, incidents)
    world.capa["reviews"] = _build_reviews(world)
    for role in ROLES:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user=users[role])}")
        world.api[role] = api
        html = Client()
        html.force_login(users[role])
        world.html[role] = html
    world.api[ANONYMOUS] = APIClient()
    world.html[ANONYMOUS] = Client()
    return world


def _build_review(users):
    """A management review held today and recorded, with its decisions: its actions can be
    raised and it can be approved."""
    from django.utils import timezone

    from capa import services as capa

    today = timezone.localdate()
    review = capa.management_review_create(
        actor=users["grc"],
        data={
            "meeting_date": today,
            "period_start": today.replace(day=1),
            "period_end": today,
            "attendees": [users["executive"]],
            "minutes": "Reviewed the period's incidents.",
            "decisions": "Fund drift monitoring.",
        },
    )
    return capa.management_review_transition(actor=users["grc"], review=review, to="recorded")


def _capa_world(grc, engineer, helper, incidents):
    """CAPA scopes: ``own`` answers the ``own`` incident and the engineer owns it; ``other``
    answers the ``other`` incident, owned by the helper. Both are implemented, with closure
    evidence and a planned effectiveness check, so every CAPA action has something to act on."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from capa import services as capa

    capas, capa_evidence = {}, {}
    for scope, owner in (("own", engineer), ("other", helper)):
        made = capa.capa_create(
            actor=grc,
            data={
                "action_type": "corrective",
                "title": f"Pin the model version ({scope})",
                "description": "Call the model by an explicit version.",
                "owner": owner,
                "horizon": "short_term",
            },
            incidents=[incidents[scope]],
        )
        made = capa.capa_transition(actor=grc, capa=made, to="in_progress")
        capa_evidence[scope] = capa.capa_evidence_add(
            actor=grc,
            capa=made,
            uploaded_file=SimpleUploadedFile("pin.txt", b"version: 2026-03-01\n", "text/plain"),
        )
        capa.effectiveness_check_plan(
            actor=grc, capa=made, criterion="No repeat in 30 days", method="Replay the sample"
        )
        capas[scope] = capa.capa_transition(actor=grc, capa=made, to="implemented")
    finding = capa.finding_create(
        actor=grc,
        data={
            "audit_kind": "internal",
            "audit_reference": "IA-2026-01",
            "classification": "observation",
            "clause": "A.8.4",
            "title": "Communication plan not rehearsed",
            "description": "No exercise in 12 months.",
            "objective_evidence": "Training records.",
        },
    )
    return capas, capa_evidence, finding


def _disclose(users, systems, incidents) -> dict:
    """The disclosure state of the world (see the module's docstring), through the services."""
    from disclosure import services as disclosure
    from disclosure.models import RegimeRule

    grc, legal = users["grc"], users["legal"]
    system_facts = {
        scope: disclosure.system_facts_update(
            actor=grc, system=systems[scope], data={"frontier_developer": True}
        )
        for scope in ("own", "other")
    }
    obligations, communications, notices, individuals = {}, {}, {}, {}
    for scope, incident in incidents.items():
        disclosure.incident_facts_update(
            actor=grc, incident=incident, data={"sb53_critical_safety_incident": True}
        )
        assessment = incident.disclosure_assessment
        for row in assessment.obligations.exclude(proposed="no"):
            applies = "no" if row.proposed == "undetermined" else row.proposed
            disclosure.obligation_confirm(
                actor=legal, obligation=row, applies=applies, reason="Assessed for the matrix."
            )
        obligations[scope] = assessment.obligations.get(code="ca_sb53")
        if scope == "signed":
            disclosure.assessment_sign_off(actor=legal, assessment=assessment)
            continue

        def draft(subject, incident=incident):
            return disclosure.communication_draft(
                actor=grc,
                incident=incident,
                data={
                    "audience": "regulator",
                    "channel": "portal",
                    "subject": subject,
                    "content": "A critical safety incident.",
                },
            )

        approved = disclosure.communication_approve(
            actor=legal, communication=draft("Approved report")
        )
        communications[scope] = {
            "draft": draft("Report to approve"),
            "approved": approved,
            "report": disclosure.obligation_draft(actor=grc, obligation=obligations[scope]),
        }
        notices[scope] = disclosure.vendor_notice_record(
            actor=grc,
            incident=incident,
            system=incident.affected_systems.get().system,
            data={"basis": "contract", "channel": "e-mail", "content": "Please investigate."},
        )
        upload = disclosure.individuals_upload(
            actor=users["dpo"],
            incident=incident,
            uploaded_file=SimpleUploadedFile(
                "people.csv",
                b"identifier,name,contact,state,country,channel\n"
                b"P00000,Person 0,p0@example.org,CA,US,email\n"
                b"P00001,Person 1,p1@example.org,NY,US,email\n",
                "text/csv",
            ),
        )
        individuals[scope] = upload.people.get(identifier="P00000")
    return {
        "obligations": obligations,
        "communications": communications,
        "notices": notices,
        "individuals": individuals,
        "system_facts": system_facts,
        "regime": RegimeRule.objects.get(code="ca_sb53"),
    }


def _build_risks(users, systems):
    from risk import services as risk_services
    from risk.models import Control

    grc = users["grc"]
    control = Control.objects.get(code="A.6.2.6")
    risks = {}
    for scope in ("own", "other"):
        risk = risk_services.risk_create(
            actor=grc,
            data={
                "title": f"Refund confabulation ({scope})",
                "description": "The assistant states refunds the policy does not allow.",
                "category": "performance",
                "owner": grc,
                "systems": [systems[scope]],
                "controls": [control],
                "inherent_likelihood": 4,
                "inherent_impact": 5,
                "treatment": "mitigate",
                "residual_likelihood": 3,
                "residual_impact": 4,
            },
        )
        risk = risk_services.risk_transition(actor=grc, risk=risk, to="assessed")
        risks[scope] = risk_services.risk_transition(actor=grc, risk=risk, to="treated")
    draft = risk_services.methodology_draft(actor=users["risk_officer"], data={"title": "Draft"})
    link = risk_services.evidence_link(
        actor=grc, control=control, kind="risk", target_id=risks["other"].pk
    )
    return risks, draft, control, link


def _build_impact(users, systems):
    from risk.tests.impact_factories import draft_assessment, submitted_assessment

    grc = users["grc"]
    return {
        "draft": {scope: draft_assessment(grc, systems[scope]) for scope in ("own", "other")},
        "submitted": {
            scope: submitted_assessment(grc, systems[scope]) for scope in ("own", "other")
        },
    }


def _failed_registry_rollbacks(grc, systems, incidents):
    """Each incident's containment decision asked for a rollback in the systems' registry
    (linked to a port nobody listens on), which failed: the retry has something to retry."""
    from incidents.services import containment_decide, registry_rollback_execute
    from inventory.mlflow_client import RegisteredModel, RegistryVersion
    from inventory.services import registry

    known_good = {}
    for scope in ("own", "other"):  # what a sync would have imported: version 1 of the model
        sync = registry.registry_sync_request(actor=grc, system=systems[scope])
        registry._sync_claim(sync.pk)
        registry._sync_apply(
            sync,
            RegisteredModel(name=f"model-{scope}", aliases={}, versions=[RegistryVersion("1")]),
        )
        known_good[systems[scope].pk] = systems[scope].model_versions.get(registry_version="1")
    for incident in incidents.values():
        version = known_good[incident.affected_systems.first().system_id]
        decision = containment_decide(
            actor=grc,
            incident=incident,
            option="reroute",
            rationale="Back to the known-good version",
            fallback_version=version,
            move_registry_alias=True,
        )
        registry_rollback_execute(decision.registry_rollback.pk, final_try=True)


def _build_documents(users, incidents):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from aims.core.services import model_save
    from risk import services as risk_services
    from risk.models import PurgeTombstone, RetentionRule

    grc = users["grc"]
    policy = risk_services.document_create(
        actor=grc, data={"kind": "ai_policy", "title": "AI policy", "owner": grc}
    )
    first = risk_services.version_draft(
        actor=grc,
        document=policy,
        body="We use AI responsibly.",
        uploaded_file=SimpleUploadedFile("policy.txt", b"We use AI responsibly.\n"),
    )
    risk_services.version_approve(actor=users["risk_officer"], version=first)
    draft = risk_services.version_draft(actor=grc, document=policy, body="Version two.")
    procedure = risk_services.document_create(
        actor=grc,
        data={"kind": "incident_procedure", "title": "Incident procedure", "owner": grc},
    )
    rule = RetentionRule.objects.get(record_type="evidence_other")
    hold = risk_services.legal_hold_place(
        actor=grc, incident=incidents["led"], reason="Litigation expected"
    )
    # A tombstone as a purge leaves it (a real purge needs years to pass; the purge itself is
    # tested in risk/tests/test_documents_retention.py).
    tombstone = model_save(
        PurgeTombstone(
            run="purge-matrix",
            record_model="incidents.evidence",
            record_pk=999999,
            record_label="purged.csv",
            incident=incidents["own"],
            rule=rule,
            rule_text="Other evidence: 2190 days after closure",
            sha256="0" * 64,
            purged_at=timezone.now(),
        ),
        actor=None,
    )
    return {
        "policy": policy,
        "approved": first,
        "draft": draft,
        "procedure": procedure,
        "rule": rule,
        "hold": hold,
        "tombstone": tombstone,
    }


# --- the learning loop (root cause, scope, remediation) ----------------------------------------


def _build_learning_loop(world) -> dict:
    """Per incident scope: a candidate root cause with a why, a supporting diagnostic and its
    own confirming evidence (so an allowed confirm succeeds; ``world.evidence`` stays unlinked
    for the link case), a best-estimate scope, the fix verified (so "normal operation
    restored" may be recorded) and an item owned by the helper (only managers mark it done)."""
    from capa import services as capa

    grc = world.users["grc"]
    now = timezone.now()
    causes, items = {}, {}
    for scope, incident in world.incidents.items():
        cause = capa.root_cause_propose(
            actor=grc, incident=incident, category="integration_bug", statement="Parser bug."
        )
        capa.why_add(actor=grc, root_cause=cause, question="Why?", answer="Empty field.")
        capa.diagnostic_add(
            actor=grc,
            root_cause=cause,
            method="failing_case_trace",
            description="Traced one case.",
            result="Field empty at the call.",
            outcome="supports",
        )
        own = add_evidence(incident, grc, content=f"trace {scope}\n".encode(), name="trace.txt")
        capa.evidence_link(actor=grc, root_cause=cause, evidence=own)
        causes[scope] = cause
        capa.scope_record(
            actor=grc,
            incident=incident,
            confirm=False,
            data={
                "period_start": now - timedelta(days=2),
                "period_end": now - timedelta(days=1),
                "population": 100,
                "classification_rule": "Empty field.",
                "sample_size": 10,
                "sample_failures": 1,
                "confirmed_count": 10,
                "lower_bound": 5,
                "upper_bound": 20,
                "uncertainty_note": "Logs still exporting.",
            },
        )
        capa.fix_verify(actor=grc, incident=incident, verification="Replayed the failing cases.")
        items[scope] = capa.remediation_item_add(
            actor=grc,
            incident=incident,
            horizon="immediate",
            kind="rollback",
            description="Roll back.",
            owner=world.helper,
            due_on=now.date(),
        )
    return {"root_causes": causes, "items": items}


def _build_reviews(world) -> dict:
    """Per incident scope, the post-incident review its closure would open, with its lessons
    written (so an allowed submit succeeds); the "signed" one is submitted (so an allowed
    approval or return succeeds)."""
    from capa import services as capa
    from capa.services.post_incident import review_open_on_close

    grc = world.users["grc"]
    reviews = {}
    for scope, incident in world.incidents.items():
        review = review_open_on_close(
            incident=incident, actor=grc, source="resolved", target="closed", now=timezone.now()
        )
        review = capa.review_update(
            actor=grc,
            review=review,
            data={
                "controls_failed": "Retraining gate.",
                "controls_worked": "Drift monitoring.",
                "process_followed": "yes",
                "caught_sooner": "Segment evaluation.",
            },
        )
        if scope == "signed":
            review = capa.review_submit(actor=grc, review=review)
        reviews[scope] = review
    return reviews


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module, inside a transaction rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = _build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def case_world(world, db):
    """The module's world, inside this case's own savepoint."""
    return world


def pytest_configure(config):
    """``xdist_group`` keeps each matrix module on one worker under ``--dist loadgroup``; it is
    declared here too so the modules also run with ``-p no:xdist`` under ``--strict-markers``."""
    config.addinivalue_line("markers", "xdist_group(name): run these tests on one xdist worker")


MATRIX_SHARDS = 2  # the workers of ``make test`` (pytest -n 2)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Each matrix module is cut into ``MATRIX_SHARDS`` groups (alternate cases), so both
    workers share both matrices instead of one worker running the larger alone at the end; each
    worker then builds each module's world once. Runs before xdist reads the groups."""
    for index, item in enumerate(items):
        marker = item.get_closest_marker("xdist_group")
        if marker is None or not str(marker.args[0]).startswith("permissions-"):
            continue
        item.add_marker(pytest.mark.xdist_group(f"{marker.args[0]}-{index % MATRIX_SHARDS}"))


@pytest.fixture(autouse=True)
def _no_case_file_wait(settings):
    """The case-file API waits for a worker; in the matrix none runs, so it answers 202 at once."""
    settings.CASE_FILE_WAIT_SECONDS = 0
