"""The shape of a permission rule: one function per action, answering allowed or why not.

Each app writes each action's rule once, in its ``permissions.py``, as a function returning a
``Decision``. The service calls ``require(decision)`` (the authority), the DRF permission class
asks the same function before the body is read, and the HTML page offers a form only where the
same function allows it — so the browser and the API refuse the same things with the same words
and the same status (403).
"""

from dataclasses import dataclass

from .exceptions import PermissionRefused


@dataclass(frozen=True)
class Decision:
    allowed: bool
    message: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def allow() -> Decision:
    return ALLOWED


def refuse(message) -> Decision:
    return Decision(False, str(message))


def decide(allowed: bool, message) -> Decision:
    """``allow()`` when ``allowed``, else ``refuse(message)``."""
    return ALLOWED if allowed else Decision(False, str(message))


def require(decision: Decision) -> None:
    """Raise the refusal (403 in the API and on pages) when the decision is a no."""
    if not decision.allowed:
        raise PermissionRefused(decision.message or None)


def is_signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def has_any_role(user) -> bool:
    """Signed in and holding at least one AIMS role (or a superuser)."""
    return is_signed_in(user) and bool(user.is_superuser or user.role_names)


def has_role(user, *roles) -> bool:
    """Signed in and holding one of ``roles`` (superusers hold every role)."""
    return is_signed_in(user) and user.has_role(*roles)
