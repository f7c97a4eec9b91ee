"""Project-wide pages: home, health check, and the HTML side of application errors."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import F, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from aims.core.exceptions import ApplicationError
from incidents.choices import OPEN_STATUSES
from incidents.selectors import incidents_visible_to, register_headline
from inventory.selectors import inventory_headline, systems_owned_by


@login_required
def home(request):
    user = request.user
    my_incidents = (
        incidents_visible_to(user)
        .filter(Q(lead=user) | Q(reported_by=user), status__in=list(OPEN_STATUSES))
        .select_related("lead")
        .order_by(F("severity").asc(nulls_first=True), "-detected_at", "-id")[:20]
    )
    return render(
        request,
        "core/home.html",
        {
            "headline": inventory_headline(),
            "register": register_headline(user),
            "my_incidents": my_incidents,
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
