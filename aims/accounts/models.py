"""The user model. Roles are groups (see ``choices.Role``); access rules live in each app."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from aims.audit.history import audit_history


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
