"""My work: every clock I own, soonest first, overdue highlighted."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import clocks_owned_by, describe


@login_required
def my_work(request):
    views = [describe(c) for c in clocks_owned_by(request.user)[:200]]
    return render(request, "clocks/my_work.html", {"clocks": views})
