"""Production settings are safe: check --deploy is clean, and required variables are enforced."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "aims.settings.production",
    "SECRET_KEY": "x7!k2@prod-" + "q" * 50,
    "ALLOWED_HOSTS": "aims.example.org",
    "DATABASE_URL": "postgres://aims:aims@127.0.0.1:5432/aims",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env):
    # Test-only switches (pytest's async-unsafe flag) are not part of a production environment.
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_health_check_answers(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
