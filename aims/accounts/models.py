"""The user model. Roles are groups (see ``choices.Role``); access rules live in each app."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history
from aims.core.models import TimeStampedModel

from .choices import Role


class User(AbstractUser):
    """A person (or a monitoring tool's service account) using AIMS Register."""

    title = models.CharField(_("job title"), max_length=120, blank=True)

    history = audit_history(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def role_names(self) -> frozenset[str]:
        """The user's role names, read once per request object and cached on it."""
        if not hasattr(self, "_role_names"):
            if not self.is_active:
                self._role_names = frozenset()
            else:
                self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names

    def has_role(self, *roles) -> bool:
        if self.is_superuser and self.is_active:
            return True
        return bool(self.role_names.intersection(str(r) for r in roles))


class SingleSignOnRoleMapping(TimeStampedModel):
    """A claim value from the identity provider that grants a role at sign-in: "the ``groups``
    claim contains ``aims-grc``" -> GRC. A single sign-on user's roles are exactly what the
    mappings give at each sign-in, so a role removed at the provider is removed here."""

    claim = models.CharField(
        _("claim"), max_length=100, default="groups", help_text=_("e.g. groups, roles")
    )
    value = models.CharField(_("value"), max_length=200, help_text=_("e.g. aims-grc"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    history = audit_history()

    class Meta:
        ordering = ["claim", "value", "role"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "value", "role"], name="sso_mapping_once")
        ]
        verbose_name = _("single sign-on role mapping")

    def __str__(self):
        return f"{self.claim} = {self.value} -> {self.role}"


class SingleSignOnIdentity(TimeStampedModel):
    """The provider's subject a user signs in as. Users are matched by it only — never by
    e-mail — so an identity at the provider cannot take over a local (break-glass) account."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="sso_identity")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)

    history = audit_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_subject_once")
        ]
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")

    def __str__(self):
        return f"{self.subject} @ {self.issuer}"
