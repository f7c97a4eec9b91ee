"""Production settings are safe: check --deploy is clean, and required variables are enforced."""

import json
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


def test_production_keeps_lock_outs_the_content_security_policy_and_throttling():
    """What check --deploy cannot see: production runs with the protections the tests prove."""
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'backends': s.AUTHENTICATION_BACKENDS, 'middleware': s.MIDDLEWARE,"
        "'limit': s.AXES_FAILURE_LIMIT, 'lockout': s.AXES_LOCKOUT_PARAMETERS,"
        "'csp': {k: [str(v) for v in vs] for k, vs in"
        " s.CONTENT_SECURITY_POLICY['DIRECTIVES'].items()},"
        "'throttles': s.REST_FRAMEWORK['DEFAULT_THROTTLE_CLASSES'],"
        "'rates': s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']}))"
    )
    result = manage("shell", "-c", script, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["backends"][0] == "axes.backends.AxesStandaloneBackend"
    assert found["middleware"][-1] == "axes.middleware.AxesMiddleware"
    assert "csp.middleware.CSPMiddleware" in found["middleware"]
    assert found["limit"] == 5
    assert found["lockout"] == [["username", "ip_address"]]
    csp = found["csp"]
    assert csp["default-src"] == csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == csp["base-uri"] == ["'self'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)
    assert found["throttles"] == [
        "aims.core.api.throttling.AnonRateThrottle",
        "aims.core.api.throttling.UserRateThrottle",
    ]
    assert found["rates"] == {"user": "600/min", "anon": "60/min"}


def test_production_rates_and_lock_outs_come_from_the_environment():
    env = {
        **PRODUCTION_ENV,
        "API_THROTTLE_USER": "1200/min",
        "API_THROTTLE_ANON": "30/min",
        "AXES_FAILURE_LIMIT": "8",
        "AXES_COOLOFF_MINUTES": "30",
    }
    script = (
        "from django.conf import settings as s;"
        "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'], s.AXES_FAILURE_LIMIT,"
        " s.AXES_COOLOFF_TIME.total_seconds())"
    )
    result = manage("shell", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "{'user': '1200/min', 'anon': '30/min'} 8 1800.0"
    )
