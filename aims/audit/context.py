"""Where a change comes from (web, API, command, task), carried through a context variable.

The request middleware, ``manage.py`` and the Celery task signals set it; every history record
copies it, so an auditor can tell a browser edit from an API call or a scheduled task.
"""

import contextlib
import contextvars

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    COMMAND = "command", _("Command")
    TASK = "task", _("Task")
    SYSTEM = "system", _("System")


_source: contextvars.ContextVar[str] = contextvars.ContextVar(
    "aims_audit_source", default=Source.SYSTEM
)


def current_source() -> str:
    return _source.get()


def set_source(source: str) -> contextvars.Token:
    return _source.set(Source(source).value)


def reset_source(token: contextvars.Token) -> None:
    _source.reset(token)


@contextlib.contextmanager
def audit_source(source: str):
    token = set_source(source)
    try:
        yield
    finally:
        reset_source(token)
