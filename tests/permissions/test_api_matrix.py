"""Every role x every operation of the OpenAPI schema x scope, from ``table.API``.

An allowed role gets the operation's success status; a refused one 403, or 404 where the record
is outside what it may see; each refusal is JSON with a ``message``; a refused write changes
nothing. An operation in the schema without an entry in the table fails
``test_every_schema_operation_is_in_the_table``, naming it.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from .snapshot import snapshot
from .table import (
    ACTIONS,
    ANONYMOUS,
    API,
    API_NOT_IN_MATRIX,
    DEFECTS,
    ROLES,
    expected_status,
)

# One worker runs the whole module (make test: --dist loadgroup), so the world is built once.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("permissions-api")]

METHODS = ("get", "post", "put", "patch", "delete")
RUN_OWNERS = frozenset(ROLES) - {"ethics"}  # everyone but ethics has a report run of their own


def _has_own(api, role, scope):
    """Leave out 'own run' cases of roles that have none."""
    action = ACTIONS[api.action]
    if scope != "own":
        return True
    if action.kind == "run":
        return role in RUN_OWNERS
    if action.kind == "sample":
        return role in (action.gate or ())
    return True


def _cases():
    for api in API:
        for role in (*ROLES, ANONYMOUS):
            # Anonymous callers are refused before any record is looked up: one scope will do.
            scopes = api.scopes[:1] if role == ANONYMOUS else api.scopes
            for scope in scopes:
                if not _has_own(api, role, scope):
                    continue
                marks = []
                reason = DEFECTS.get(("api", api.key, role, scope))
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                yield pytest.param(api, role, scope, id=f"{api.key}|{role}|{scope}", marks=marks)


CASES = list(_cases())


def call(world, api, role, scope):
    client = world.api[role]
    path = api.path
    if "{id}" in path:
        target = api.target(world, role, scope)
        if target is None:  # e.g. the other's sample for a role without one: any sample will do
            target = api.target(world, "grc", "own")
        path = path.replace("{id}", str(target))
    if api.query:
        path = f"{path}?{api.query}"
    body = api.body(world, role, scope) if api.body else None
    method = getattr(client, api.method.lower())
    kwargs = {"follow": True} if api.action == "incident.export" else {}
    if body is None:
        return method(path, **kwargs)
    return method(path, body, format="multipart" if api.multipart else "json", **kwargs)


def expected(world, api, role, scope):
    if role == ANONYMOUS:
        return 401
    return expected_status(ACTIONS[api.action], world, role, scope, api.ok)


@pytest.mark.parametrize(("api", "role", "scope"), CASES)
def test_api_matrix(case_world, api, role, scope):
    action = ACTIONS[api.action]
    want = expected(case_world, api, role, scope)
    refused = want in (401, 403, 404)
    before = snapshot(case_world) if refused and action.write else None
    response = call(case_world, api, role, scope)
    body = (
        response.json() if response.get("Content-Type", "").startswith("application/json") else None
    )
    assert response.status_code == want, (response.status_code, body)
    if refused:
        assert body and body.get("message"), body
    if before is not None:
        assert snapshot(case_world) == before, "a refused write changed something"


def test_the_snapshot_sees_a_write(case_world):
    """Positive control: an allowed write changes the snapshot the refused ones keep."""
    before = snapshot(case_world)
    incident = case_world.incidents["own"]
    response = case_world.api["grc"].post(
        f"/api/v1/incidents/{incident.pk}/notes/", {"body": "x"}, format="json"
    )
    assert response.status_code == 201
    assert snapshot(case_world) != before


def test_the_snapshot_sees_the_lists_of_affected_individuals(case_world):
    """Positive control for the tables of the list: a status recorded and an export taken by
    the DPO each change the snapshot the refused ones keep."""
    dpo = case_world.api["dpo"]
    base = f"/api/v1/incidents/{case_world.incidents['own'].pk}/affected-individuals/"
    before = snapshot(case_world)
    response = dpo.post(
        base + "statuses/", {"status": "notified", "identifiers": ["P00001"]}, format="json"
    )
    assert response.json() == {"updated": 1, "status": "notified"}
    after_status = snapshot(case_world)
    assert after_status != before
    assert dpo.get(base + "export/").status_code == 200
    assert snapshot(case_world) != after_status


def _schema_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        if path not in API_NOT_IN_MATRIX
        for method in operations
        if method in METHODS
    }


def test_every_schema_operation_is_in_the_table():
    covered = {api.key for api in API}
    missing = sorted(_schema_operations() - covered)
    assert not missing, f"API operations with no entry in tests/permissions/table.py: {missing}"


def test_every_table_entry_is_in_the_schema():
    stale = sorted({api.key for api in API} - _schema_operations())
    assert not stale, f"table entries for operations the schema no longer has: {stale}"


def test_every_action_of_the_table_is_exercised():
    exercised = {api.action for api in API}
    from .table import HTML

    exercised |= {page.action for page in HTML}
    assert set(ACTIONS) - exercised == set()
