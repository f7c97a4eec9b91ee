"""Fixtures shared by every test: users per role, API clients, and data made by real services."""

import os

import pytest

from aims.accounts.choices import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + live_server

ROLES = Role.values


@pytest.fixture
def make_user(db):
    from aims.accounts.services import user_upsert_with_role

    counter = {"n": 0}

    def make(role="grc", username=None, password="pw-Secret-123", **extra):  # noqa: S107 - test data
        counter["n"] += 1
        name = username or f"{role}-{counter['n']}"
        user, _ = user_upsert_with_role(
            username=name, role=role, password=password, email=f"{name}@example.com", **extra
        )
        return user

    return make


@pytest.fixture
def users(make_user):
    """One user per role, keyed by role name."""
    return {role: make_user(role, username=role) for role in ROLES}


@pytest.fixture
def api_client_for():
    """An API client authenticated with the user's token, as engineers and tools use it."""
    from rest_framework.test import APIClient

    from aims.accounts.services import user_token

    def make(user):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {user_token(user=user)}")
        return client

    return make


@pytest.fixture
def make_system(users):
    from inventory import services

    counter = {"n": 0}

    def make(actor=None, **data):
        counter["n"] += 1
        values = {
            "name": f"System {counter['n']}",
            "intended_purpose": "Answer customer questions",
            "business_owner": users["engineer"],
        }
        values.update(data)
        return services.system_create(actor=actor or users["grc"], data=values)

    return make


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    """A real MLflow tracking server (``tests.mlflow_server``), one per test module."""
    from tests.mlflow_server import MlflowServer

    server = MlflowServer(tmp_path_factory.mktemp("mlflow")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser on this network."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


SEED_MIGRATIONS = [
    ("aims.accounts.migrations.0002_roles", "create_roles"),
    ("aims.clocks.migrations.0002_default_policies", "seed"),
    ("aims.audit.migrations.0001_initial", "create_head"),
    ("disclosure.migrations.0002_default_regimes", "load"),
    ("disclosure.migrations.0004_obligation_clock_policy", "seed"),
    ("disclosure.migrations.0006_default_communication_plan", "seed"),
    ("risk.migrations.0002_seed_methodology_controls_tags", "seed"),
    ("capa.migrations.0001_root_causes", "seed_recurrence_policy"),
    ("capa.migrations.0003_capa_clock_policies", "seed"),
    ("risk.migrations.0004_impact_assessments", "seed"),
    ("incidents.migrations.0005_exercises_and_atlas", "load_atlas"),
    ("risk.migrations.0006_documented_information", "seed"),
]


@pytest.fixture(autouse=True)
def _seed_data_after_flush(request):
    """Transactional tests flush the database when they end, wiping the data that migrations
    seed (roles, clock policies, the audit-chain head, the regimes table). Django's serialized
    rollback restores it, except after a live-server test or a test that committed through
    other connections; re-seeding here, for every database test, makes every test start equal.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")

    from django.contrib.contenttypes.models import ContentType

    if marker is not None and marker.kwargs.get("transaction"):
        # A flush re-creates content types under new ids; the process-wide cache must not keep
        # the old ones (clocks and history point at content types).
        ContentType.objects.clear_cache()
    ensure_seeded()


def ensure_seeded() -> None:
    """Put back what migrations seed when a flush removed it (no-op when the roles exist)."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    if Group.objects.exists():
        return
    ContentType.objects.clear_cache()
    for module, function in SEED_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


def pytest_collection_modifyitems(items):
    """Transactional tests flush the database when they end, which would also wipe the data that
    migrations seed (roles, clock policies, the audit-chain head). Restore it after each one."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            item.add_marker(
                pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )


@pytest.fixture(autouse=True, scope="session")
def _browser_expect_timeout():
    """Browser assertions wait up to 15 s: on a loaded 2-core CI machine a page can take longer
    than Playwright's 5 s default while the other test worker renders PDFs."""
    try:
        from playwright.sync_api import expect
    except ImportError:  # pragma: no cover - playwright is a test dependency
        return
    expect.set_options(timeout=15_000)
