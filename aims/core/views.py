"""Project-wide pages: home, health check, and the HTML side of application errors."""

import sys

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.http import require_GET

from aims.core.exceptions import (
    DATABASE_UNAVAILABLE_CODE,
    DATABASE_UNAVAILABLE_MESSAGE,
    DATABASE_UNAVAILABLE_RETRY_AFTER_S,
    ApplicationError,
    ValidationFailed,
)

from .registry import home_panels_for
from .rendering import render_fragment


@login_required
def home(request):
    """The panels every app registered (``aims.core.registry``), in their order."""
    user = request.user
    panels = [
        render_fragment(panel.template, panel.context(user), request)
        for panel in home_panels_for(user)
    ]
    return render(request, "core/home.html", {"panels": panels})


@require_GET
def healthz(request):
    """Liveness and database reachability, for load balancers and compose health checks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def server_error(request):
    """The site's 500, except when the database connection was lost: that is a 503 (nothing
    was saved, retry in a moment), as the API answers it.

    Django calls this while it handles the exception, so the exception is the one in
    ``sys.exc_info()``. The page is rendered without the request's context (no user, no
    navigation): both would need the database that is gone.
    """
    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": DATABASE_UNAVAILABLE_CODE, "message": str(DATABASE_UNAVAILABLE_MESSAGE)},
            status=503,
        )
    else:
        page = loader.get_template("503.html").render(
            {"message": DATABASE_UNAVAILABLE_MESSAGE, "path": request.get_full_path()}
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(DATABASE_UNAVAILABLE_RETRY_AFTER_S)
    return response


def report_application_error(request, exc: ApplicationError) -> None:
    """Show a service's refusal to the person, in the words the API would use."""
    messages.error(request, exc.message)


def _as_list(messages_) -> list[str]:
    return [str(m) for m in messages_] if isinstance(messages_, list | tuple) else [str(messages_)]


def _message_repeats_fields(exc: ValidationFailed) -> bool:
    """True when the message is only the per-field messages joined (model validation, see
    ``aims.core.services.validation_failed_from``): then the field errors say it all."""
    parts = [
        " ".join(_as_list(msgs)) if name == "__all__" else f"{name}: {' '.join(_as_list(msgs))}"
        for name, msgs in exc.fields.items()
    ]
    return exc.message == "; ".join(parts)


def show_service_error(form, exc: ApplicationError) -> None:
    """Put a service's refusal on a form, the same way on every page: each field's messages next
    to the field it names, and the service's own message on top unless it only repeats them."""
    if isinstance(exc, ValidationFailed) and exc.fields:
        for field, msgs in exc.fields.items():
            for msg in _as_list(msgs):
                form.add_error(field if field in form.fields else None, msg)
        if not _message_repeats_fields(exc):
            form.add_error(None, exc.message)
    else:
        form.add_error(None, exc.message)
