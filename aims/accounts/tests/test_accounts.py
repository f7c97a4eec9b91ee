"""Users, roles, sign-in, and the create_user command."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from aims.accounts.choices import Role
from aims.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_every_role_exists_as_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.django_db
def test_create_user_with_token_prints_a_working_token_last(api_client_for):
    out = StringIO()
    call_command(
        "create_user",
        "pipeline-bot",
        "--role",
        "engineer",
        "--email",
        "bot@example.org",
        "--token",
        stdout=out,
    )
    token = out.getvalue().strip().splitlines()[-1]
    user = User.objects.get(username="pipeline-bot")
    assert user.role_names == {"engineer"}
    assert user.email == "bot@example.org"
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["roles"] == ["engineer"]


@pytest.mark.django_db
def test_create_user_updates_an_existing_user_to_the_new_role():
    call_command(
        "create_user", "sam", "--role", "engineer", "--password", "first-Pass-1", stdout=StringIO()
    )
    call_command("create_user", "sam", "--role", "auditor", stdout=StringIO())
    user = User.objects.get(username="sam")
    assert user.role_names == {"auditor"}
    assert user.check_password("first-Pass-1")


@pytest.mark.django_db
def test_create_user_with_an_unknown_role_is_a_clear_error():
    with pytest.raises(CommandError, match="Unknown role 'wizard'. Known roles: grc"):
        call_command("create_user", "merlin", "--role", "wizard", stdout=StringIO())
    assert not User.objects.filter(username="merlin").exists()


@pytest.mark.django_db
def test_create_user_unknown_role_exits_non_zero_from_the_shell(settings):
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "create_user", "merlin", "--role", "wizard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": url},
    )
    assert result.returncode != 0
    assert "Unknown role 'wizard'" in result.stderr


@pytest.mark.django_db
def test_login_logout_and_password_change(client, make_user):
    user = make_user("auditor", username="audrey", password="Old-password-42")
    response = client.post("/accounts/login/", {"username": "audrey", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()

    response = client.post(
        "/accounts/login/", {"username": "audrey", "password": "Old-password-42"}
    )
    assert response.status_code == 302
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "Old-password-42",
            "new_password1": "New-password-43!",
            "new_password2": "New-password-43!",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("New-password-43!")
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_navigation_is_role_aware(client, make_user):
    auditor = make_user("auditor")
    client.force_login(auditor)
    page = client.get("/").content.decode()
    assert 'href="/systems/"' in page
    assert 'href="/admin/"' not in page
    admin = make_user("grc")
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    assert 'href="/admin/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_pages_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_user_saved_by_someone_records_who_in_its_history():
    from aims.accounts.services import user_upsert_with_role

    admin_user, _ = user_upsert_with_role(username="root-admin", role="grc", admin=True)
    assert admin_user.history.first().history_user is None  # a command: nobody signed in
    user, created = user_upsert_with_role(
        actor=admin_user, username="new-dpo", role="dpo", email="dpo@example.com"
    )
    assert created
    record = user.history.first()
    assert record.history_user == admin_user
    assert record.email == "dpo@example.com"
