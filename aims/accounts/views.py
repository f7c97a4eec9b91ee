"""Sign-in pages come from django.contrib.auth; this module adds the profile page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"profile_user": request.user})
