"""Single sign-on over OpenID Connect, against a real OpenID provider started by the test
(``oidc-provider-mock``: discovery, authorization, token, userinfo and JWKS endpoints, RS256
id tokens), driven through the sign-in flow in headless Chromium.

The provider knows three people: Olga, in the ``aims-grc`` group; Pat, in no mapped group; and
Gina, whose preferred username is that of a local GRC account.
"""

import json
import urllib.request

import pytest
from django.test import Client, override_settings
from oidc_provider_mock import User as ProviderUser
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import expect

from aims.accounts.models import SingleSignOnIdentity, SingleSignOnRoleMapping, User
from aims.accounts.oidc import roles_from_claims
from aims.accounts.services import user_token

PEOPLE = [
    ProviderUser(
        sub="olga-7f3a",
        claims={
            "email": "olga@example.org",
            "preferred_username": "olga",
            "given_name": "Olga",
            "family_name": "Berg",
            "groups": ["staff", "aims-grc"],
        },
    ),
    ProviderUser(sub="pat-91c2", claims={"email": "pat@example.org", "groups": ["staff"]}),
    ProviderUser(
        sub="gina-at-idp",
        claims={"email": "gina@example.org", "preferred_username": "gina", "groups": ["aims-grc"]},
    ),
]


@pytest.fixture
def provider():
    with run_server_in_thread(user_claims=PEOPLE) as server:
        base = f"http://localhost:{server.server_port}"
        with urllib.request.urlopen(f"{base}/.well-known/openid-configuration") as answer:  # noqa: S310 - local test server
            discovery = json.load(answer)
        settings = {
            "OIDC_RP_CLIENT_ID": "aims-register",
            "OIDC_RP_CLIENT_SECRET": "client-secret-for-tests",
            "OIDC_OP_ISSUER": discovery["issuer"],
            "OIDC_OP_AUTHORIZATION_ENDPOINT": discovery["authorization_endpoint"],
            "OIDC_OP_TOKEN_ENDPOINT": discovery["token_endpoint"],
            "OIDC_OP_USER_ENDPOINT": discovery["userinfo_endpoint"],
            "OIDC_OP_JWKS_ENDPOINT": discovery["jwks_uri"],
            "AUTHENTICATION_BACKENDS": [
                "axes.backends.AxesStandaloneBackend",
                "django.contrib.auth.backends.ModelBackend",
                "aims.accounts.oidc.RegisterOIDCBackend",
            ],
        }
        with override_settings(**settings):
            yield discovery


def _map_grc():
    SingleSignOnRoleMapping.objects.create(claim="groups", value="aims-grc", role="grc")


def _sign_in_through_provider(page, live_server, who):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name=who, exact=True).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mapped_person_signs_in_through_the_provider_and_is_created_with_the_role(
    page, live_server, provider
):
    _map_grc()
    _sign_in_through_provider(page, live_server, "olga-7f3a")

    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".topbar-user")).to_contain_text("grc")
    olga = User.objects.get(username="olga")
    assert (olga.email, olga.first_name, olga.last_name) == ("olga@example.org", "Olga", "Berg")
    assert olga.role_names == {"grc"} and not olga.has_usable_password()
    identity = SingleSignOnIdentity.objects.get(user=olga)
    assert (identity.subject, identity.issuer) == ("olga-7f3a", provider["issuer"])

    # Next time the same identity is found, not a second user; a mapping removed at the
    # register (or the group at the provider) takes the role away at the next sign-in.
    page.get_by_role("button", name="Sign out").click()
    SingleSignOnRoleMapping.objects.create(claim="groups", value="staff", role="auditor")
    _sign_in_through_provider(page, live_server, "olga-7f3a")
    expect(page.locator(".topbar-user")).to_contain_text("auditor")
    assert User.objects.filter(email="olga@example.org").count() == 1
    assert User.objects.get(username="olga").role_names == {"grc", "auditor"}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_person_without_a_mapped_group_is_refused_and_told_why(page, live_server, provider):
    _map_grc()
    _sign_in_through_provider(page, live_server, "pat-91c2")

    expect(page).to_have_url(live_server.url + "/accounts/login/")
    expect(page.get_by_role("alert")).to_contain_text(
        "Your single sign-on account has no role in AIMS Register"
    )
    assert not User.objects.filter(email="pat@example.org").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_provider_cannot_take_over_a_local_break_glass_account(
    page, live_server, provider, make_user
):
    _map_grc()
    local = make_user("risk_officer", username="gina")
    _sign_in_through_provider(page, live_server, "gina-at-idp")

    expect(page.locator(".topbar-user")).to_contain_text("gina-sso")
    sso_user = SingleSignOnIdentity.objects.get(subject="gina-at-idp").user
    assert sso_user.pk != local.pk and sso_user.username == "gina-sso"
    local.refresh_from_db()
    assert local.role_names == {"risk_officer"} and local.check_password("pw-Secret-123")

    # The local account still signs in with its password (break-glass), and API tokens work.
    client = Client()
    answer = client.post("/accounts/login/", {"username": "gina", "password": "pw-Secret-123"})
    assert answer.status_code == 302 and client.session.get("_auth_user_id") == str(local.pk)
    token = user_token(user=sso_user)
    assert (
        Client().get("/api/v1/incidents/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    )


@pytest.mark.django_db
def test_without_a_provider_the_sign_in_page_offers_no_single_sign_on():
    page = Client().get("/accounts/login/").content.decode()
    assert "Sign in with single sign-on" not in page
    assert Client().get("/oidc/authenticate/").status_code == 404


def test_roles_come_from_string_and_list_claims():
    mappings = [
        SingleSignOnRoleMapping(claim="groups", value="aims-grc", role="grc"),
        SingleSignOnRoleMapping(claim="department", value="audit", role="auditor"),
    ]
    assert roles_from_claims({"groups": ["x", "aims-grc"]}, mappings) == {"grc"}
    assert roles_from_claims({"department": "audit"}, mappings) == {"auditor"}
    assert roles_from_claims({"groups": "aims-grc-admins"}, mappings) == set()
    assert roles_from_claims({}, mappings) == set()
