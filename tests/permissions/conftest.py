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
- systems ``own``/``other``; report runs ``own`` (the caller's) and ``other`` (someone else's).
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
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
    api: dict = field(default_factory=dict)  # role -> APIClient with the role's token
    html: dict = field(default_factory=dict)  # role -> logged-in django Client

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

    def system(name, owner):
        return inventory.system_create(
            actor=grc,
            data={
                "name": name,
                "intended_purpose": "Answer customer questions",
                "business_owner": owner,
            },
        )

    systems = {
        "own": system("Support assistant", engineer),
        "other": system("Credit scoring", grc),
        "free_own": system("Retired chatbot", engineer),
        "free_other": system("Retired ranker", grc),
    }
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
    evidence = {scope: add_evidence(incident, grc) for scope, incident in incidents.items()}
    capas, capa_evidence, finding = _capa_world(grc, engineer, helper, incidents)

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

    world = World(
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
    )
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


@pytest.fixture(autouse=True)
def _no_case_file_wait(settings):
    """The case-file API waits for a worker; in the matrix none runs, so it answers 202 at once."""
    settings.CASE_FILE_WAIT_SECONDS = 0
