"""Writes on users: creation with a role, role changes, API tokens."""

from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from aims.core.exceptions import ValidationFailed
from aims.core.services import audited_write, model_save

from .choices import Role
from .models import User


@audited_write
def user_upsert_with_role(
    *,
    actor=None,
    username: str,
    role: str,
    email: str = "",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
    admin: bool = False,
) -> tuple[User, bool]:
    """Create the user, or update an existing one, so that ``role`` is their only role.

    Returns ``(user, created)``. An unknown role is refused with the list of known roles.
    ``admin`` also opens the Django admin (staff and superuser) for the reference data.
    ``actor`` is who did it (None for a command run on the server: its history says "command").
    """
    if role not in Role.values:
        raise ValidationFailed(
            f"Unknown role '{role}'. Known roles: {', '.join(Role.values)}.",
            fields={"role": ["unknown role"]},
        )
    if not username or not username.strip():
        raise ValidationFailed("A username is required.", fields={"username": ["required"]})
    user, created = User.objects.get_or_create(username=username.strip())
    if email:
        user.email = email
    if first_name:
        user.first_name = first_name
    if last_name:
        user.last_name = last_name
    if title:
        user.title = title
    if admin:
        user.is_staff = user.is_superuser = True
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    model_save(user, actor=actor, exclude=["password"])
    user.groups.set([Group.objects.get(name=role)])
    return user, created


def user_token(*, user: User, rotate: bool = False) -> str:
    """The user's API token key, created on first use; ``rotate`` replaces it."""
    with transaction.atomic():
        if rotate:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
    return token.key
