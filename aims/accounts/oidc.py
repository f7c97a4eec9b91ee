"""Single sign-on over OpenID Connect (mozilla-django-oidc), switched on by configuration.

- A user is found by the provider's subject (``SingleSignOnIdentity``), never by e-mail, so an
  account at the provider cannot take over a local account: local accounts stay for break-glass
  sign-in, and API tokens are untouched by any of this.
- A first sign-in creates the user just in time, with no usable password.
- At every sign-in the user's roles are set from the claims through the role mappings kept in
  the admin (``SingleSignOnRoleMapping``). Someone the mappings give no role is refused with a
  message saying so — the register has nothing to show a user without a role.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from aims.core.services import model_save

from .models import SingleSignOnIdentity, SingleSignOnRoleMapping, User

logger = logging.getLogger(__name__)

NO_ROLE = "no_role"


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def roles_from_claims(claims: dict, mappings) -> set[str]:
    """The roles the mappings give for these claims; a claim may be a string or a list."""
    roles = set()
    for mapping in mappings:
        value = claims.get(mapping.claim)
        values = value if isinstance(value, list | tuple) else [value]
        if mapping.value in {str(v) for v in values if v is not None}:
            roles.add(mapping.role)
    return roles


def _free_username(wanted: str) -> str:
    """``wanted``, or ``wanted-sso``, ``wanted-sso2`` … when a local account has the name."""
    wanted = (wanted or "user")[:140]
    candidate, n = wanted, 1
    while User.objects.filter(username=candidate).exists():
        candidate = f"{wanted}-sso" if n == 1 else f"{wanted}-sso{n}"
        n += 1
    return candidate


class RegisterOIDCBackend(OIDCAuthenticationBackend):
    def retrieve_matching_jwk(self, token):
        """The provider's signing key for this token: the key with the token's ``kid`` (and
        algorithm); a token without a ``kid`` only when the provider publishes one key."""
        answer = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
        )
        answer.raise_for_status()
        keys = answer.json().get("keys", [])
        header = jwt.get_unverified_header(token)
        candidates = [
            key
            for key in keys
            if key.get("alg", header.get("alg")) == header.get("alg")
            and ("kid" not in header or key.get("kid") == header["kid"])
        ]
        if len(candidates) != 1:
            raise SuspiciousOperation("No single signing key matches the id token.")
        return jwt.PyJWK(candidates[0])

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def _issuer(self) -> str:
        return self.get_settings("OIDC_OP_ISSUER", "") or self.OIDC_OP_TOKEN_ENDPOINT

    @transaction.atomic
    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            return None
        roles = roles_from_claims(claims, SingleSignOnRoleMapping.objects.all())
        if not roles:
            logger.warning("single sign-on refused: no role mapped for subject %s", claims["sub"])
            if self.request is not None:
                self.request.sso_refusal = NO_ROLE
            return None
        issuer = self._issuer()
        identity = (
            SingleSignOnIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=str(claims["sub"]))
            .first()
        )
        if identity is None:
            user = User(
                username=_free_username(
                    claims.get("preferred_username") or claims.get("email") or str(claims["sub"])
                )
            )
            user.set_unusable_password()
            self._copy_claims(user, claims)
            model_save(user, actor=None, exclude=["password"])
            model_save(
                SingleSignOnIdentity(user=user, issuer=issuer, subject=str(claims["sub"])),
                actor=None,
            )
        else:
            user = identity.user
            if not user.is_active:
                return None
            self._copy_claims(user, claims)
            model_save(user, actor=None, exclude=["password"])
        user.groups.set(Group.objects.filter(name__in=roles))
        return user

    @staticmethod
    def _copy_claims(user, claims) -> None:
        user.email = claims.get("email", user.email) or ""
        user.first_name = (claims.get("given_name") or user.first_name or "")[:150]
        user.last_name = (claims.get("family_name") or user.last_name or "")[:150]


class RegisterOIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back: on a refusal, the sign-in page says why."""

    def login_failure(self):
        if getattr(self.request, "sso_refusal", None) == NO_ROLE:
            messages.error(
                self.request,
                _(
                    "Your single sign-on account has no role in AIMS Register. Ask GRC to map "
                    "one of your groups to a role."
                ),
            )
        else:
            messages.error(
                self.request, _("Single sign-on did not complete. Try again, or sign in below.")
            )
        return super().login_failure()


class RegisterOIDCAuthenticateView(OIDCAuthenticationRequestView):
    """The start of the flow: to the provider — or 404 while single sign-on is not set up."""

    def get(self, request):
        if not enabled():
            raise Http404(_("Single sign-on is not set up."))
        return super().get(request)
