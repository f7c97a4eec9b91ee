"""The inbox page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@require_POST
@login_required
def mark_read(request):
    ids = request.POST.getlist("id")
    services.notification_mark_read(
        actor=request.user, notification_ids=[int(i) for i in ids if i.isdigit()] or None
    )
    return redirect("inbox")
