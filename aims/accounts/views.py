"""Sign-in pages come from django.contrib.auth; this module adds single sign-on to the sign-in
page and the profile page."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import render

from . import oidc


class SignInView(LoginView):
    """The local sign-in form (kept for break-glass accounts), with the single sign-on button
    when a provider is configured."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_enabled": oidc.enabled()}


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"profile_user": request.user})
