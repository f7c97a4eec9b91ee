"""Project-wide pages: home, health check, and the HTML side of application errors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from aims.core.exceptions import ApplicationError, ValidationFailed

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
