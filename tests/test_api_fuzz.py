"""The whole API, fuzzed from its own OpenAPI schema with schemathesis.

Every operation of ``/api/schema/`` gets requests generated from its schema, as GRC staff or as
an engineer (token authentication; the two roles alternate down the schema's operations, so each
role meets every resource and the run stays bounded — what each role may do is the permission
matrix's job), against the Django app in-process (WSGI) and the test
database. Each answer must not be a server error, must have a status the operation documents,
and must match the documented response body. Path ids are drawn mostly from records the test
made itself (a system, its versions, change log, rules, an incident with evidence), so the
operations on one record — DELETE included — reach real rows rather than only 404s.

Bounded for the normal suite: few examples per operation, no deadline, derandomized so that a
failure reproduces.
"""

import copy
import json
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from aims.accounts.services import user_token
from incidents.tests.factories import add_evidence, deploy, file_incident, model_version
from inventory import services as inventory_services

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

MAX_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _generated_schema() -> dict:
    """The schema ``/api/schema/`` serves, generated in-process."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


RAW = _generated_schema()
schema = schemathesis.openapi.from_dict(copy.deepcopy(RAW))
schema.app = get_wsgi_application()

# Ids of the records the running test made, by collection (first path segment after /api/v1/).
OWNED: dict[str, list[int]] = {}


@schema.hook("flatmap_path_parameters")
def owned_ids(context, path_parameters):
    """Mostly an id of a record the test owns; sometimes the generated one (mostly a 404)."""
    collection = context.operation.path.split("/")[3]
    ids = OWNED.get(collection)
    if not path_parameters or "id" not in path_parameters or not ids:
        return st.just(path_parameters)
    return st.sampled_from([*ids, *ids, path_parameters["id"]]).map(
        lambda value: {**path_parameters, "id": value}
    )


@pytest.fixture(autouse=True)
def _same_connection_across_requests():
    """Keep the test's database connection open between requests, as Django's test client
    does: the test's data lives in its one transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def owned(users, make_system):
    """Records of every kind the API serves, made through the services; their ids by path."""
    grc, engineer = users["grc"], users["engineer"]
    system = make_system(name="Refund assistant")
    spare = make_system(name="Spare system")  # free of incidents: DELETE can succeed
    version = model_version(system, grc, "v1")
    entry = deploy(system, grc, version, at=timezone.now() - timedelta(days=2))
    rule = inventory_services.monitoring_rule_create(
        actor=grc,
        system=system,
        data={
            "metric": "refund_amount_p99",
            "comparison": "gt",
            "threshold": 100,
            "window": "1h",
            "channel": "alertmanager: support-oncall",
        },
    )
    incident = file_incident(engineer, systems=[system], severity=2, severity_reason="Refunds")
    evidence = add_evidence(incident, engineer)
    from capa import services as capa
    from capa.tests.factories import capa_data, proof

    action = capa.capa_create(actor=grc, data=capa_data(engineer), incidents=[incident])
    action_evidence = capa.capa_evidence_add(actor=engineer, capa=action, uploaded_file=proof())
    finding = capa.finding_create(
        actor=grc,
        data={
            "audit_kind": "internal",
            "audit_reference": "IA-1",
            "classification": "minor",
            "clause": "10.2",
            "title": "CAPA closed on paper",
            "description": "No check.",
            "objective_evidence": "The record.",
        },
    )
    from risk import services as risk_services
    from risk.models import Control
    from risk.tests.factories import treated_risk

    control = Control.objects.get(code="A.6.2.6")
    risk = treated_risk(grc, controls=[control], systems=[system])
    draft = risk_services.methodology_draft(actor=users["risk_officer"], data={"title": "Draft"})
    # The learning loop: a candidate root cause and a remediation item of that incident.
    from capa import services as capa

    cause = capa.root_cause_propose(
        actor=grc, incident=incident, category="integration_bug", statement="Refund rounding."
    )
    item = capa.remediation_item_add(
        actor=grc,
        incident=incident,
        horizon="immediate",
        kind="rollback",
        description="Roll back the refund rule.",
        owner=engineer,
        due_on=timezone.localdate(),
    )
    from risk.tests.impact_factories import draft_assessment

    assessment = draft_assessment(grc, system)

    # A management review: one draft, one recorded (its actions can be raised).
    review_period = {
        "meeting_date": timezone.localdate(),
        "period_start": timezone.localdate().replace(day=1),
        "period_end": timezone.localdate(),
    }
    review_draft = capa.management_review_create(actor=grc, data=review_period)
    review_held = capa.management_review_create(
        actor=grc, data={**review_period, "other_attendees": "Board", "minutes": "Held."}
    )
    review_held = capa.management_review_transition(actor=grc, review=review_held, to="recorded")
    # Documented information and retention.
    policy = risk_services.document_create(
        actor=grc, data={"kind": "ai_policy", "title": "AI policy", "owner": grc}
    )
    doc_version = risk_services.version_draft(actor=grc, document=policy, body="Text.")
    hold = risk_services.legal_hold_place(actor=grc, incident=incident, reason="Claim")
    from risk.models import RetentionRule

    retention_rule = RetentionRule.objects.order_by("pk").first()
    # The post-incident review the incident's closure would open.
    from capa.services.post_incident import review_open_on_close

    review = review_open_on_close(
        incident=incident, actor=grc, source="resolved", target="closed", now=timezone.now()
    )
    OWNED.clear()
    OWNED.update(
        {
            "management-reviews": [review_draft.pk, review_held.pk],
            "systems": [system.pk, spare.pk],
            "model-versions": [version.pk],
            "deployments": [entry.pk],
            "monitoring-rules": [rule.pk],
            "incidents": [incident.pk],
            "evidence": [evidence.pk],
            "capas": [action.pk],
            "capa-evidence": [action_evidence.pk],
            "findings": [finding.pk],
            "risks": [risk.pk],
            "risk-methodologies": [draft.pk],
            "controls": [control.pk],
            "root-causes": [cause.pk],
            "remediation-items": [item.pk],
            "impact-assessments": [assessment.pk],
            "documented-information": [policy.pk],
            "document-versions": [doc_version.pk],
            "legal-holds": [hold.pk],
            "retention-rules": [retention_rule.pk],
            "post-incident-reviews": [review.pk],
        }
    )
    yield OWNED
    OWNED.clear()


ROLES = ("grc", "engineer")
OPERATION_ROLE = {
    f"{method.upper()} {path}": ROLES[index % len(ROLES)]
    for index, (path, method) in enumerate(
        (path, method) for path, item in RAW["paths"].items() for method in item
    )
}


def test_both_roles_fuzz_a_share_of_the_operations():
    shares = {role: list(OPERATION_ROLE.values()).count(role) for role in ROLES}
    assert min(shares.values()) >= len(OPERATION_ROLE) // 2, shares


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, users, owned):
    token = user_token(user=users[OPERATION_ROLE[case.operation.label]])
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


# --- what the fuzzing relies on, checked directly on the schema ---------------------------------


def test_every_operation_lists_the_errors_it_can_answer():
    assert RAW["components"]["schemas"]["Error"]["required"] == ["code", "message"]
    for path, item in RAW["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("security") != [{}]:  # public ones (a signed webhook) take no token
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert {"400", "409"} <= set(responses), (method, path)
            if method in ("put", "patch"):
                assert "412" in responses, (method, path)
    transition = RAW["paths"]["/api/v1/incidents/{id}/transition/"]["post"]["responses"]
    assert transition["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_nullable_people_and_versions_are_nullable_in_the_schema():
    incident = RAW["components"]["schemas"]["Incident"]["properties"]
    for name in ("lead", "reported_by"):
        assert incident[name]["nullable"] is True, name
    timeline = RAW["components"]["schemas"]["TimelineEntry"]["properties"]
    assert timeline["actor"]["nullable"] is True
    affected = RAW["components"]["schemas"]["AffectedSystem"]["properties"]
    assert affected["model_version"]["nullable"] is True


@pytest.mark.parametrize("field", ["failure_nature", "scope", "detection_source"])
def test_blank_is_one_of_the_values_of_the_optional_enums(field):
    prop = RAW["components"]["schemas"]["Incident"]["properties"][field]
    refs = [choice["$ref"].rsplit("/", 1)[1] for choice in prop["oneOf"]]
    values = [v for ref in refs for v in RAW["components"]["schemas"][ref]["enum"]]
    assert "" in values and len(values) > 2
