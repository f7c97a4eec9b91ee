"""Project-wide pages: home, health check, and the HTML side of application errors."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from aims.clocks.selectors import clocks_owned_by, describe
from aims.core.exceptions import ApplicationError, ValidationFailed
from incidents.selectors import my_open_incidents, register_headline
from inventory.selectors import inventory_headline, systems_owned_by


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "core/home.html",
        {
            "headline": inventory_headline(),
            "register": register_headline(user),
            "my_incidents": my_open_incidents(user),
            "my_clocks": [describe(c) for c in clocks_owned_by(user)[:10]],
            "near_miss_since": (timezone.localdate() - timedelta(days=90)).isoformat(),
            "my_systems": systems_owned_by(user)[:20],
        },
    )


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
