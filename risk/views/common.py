"""What every risk page shares: refusing before a lookup, the visible risk, a thin action."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from aims.core.exceptions import ApplicationError, PermissionRefused
from incidents.views.common import refused

from .. import selectors


def gate(rule):
    """Refuse, before any record is looked up, whoever the rule refuses (as the API does)."""

    def wrap(view):
        def checked(request, *args, **kwargs):
            decision = rule(request.user)
            if not decision:
                return refused(request, decision.message)
            return view(request, *args, **kwargs)

        checked.__name__ = view.__name__
        checked.__doc__ = view.__doc__
        return checked

    return wrap


def visible_risk(request, pk):
    risk = selectors.risk_detail(request.user, pk)
    if risk is None:
        raise Http404(_("No such risk, or you may not see it."))
    return risk


def run_action(request, perform, success, back):
    try:
        perform()
    except PermissionRefused as exc:
        return refused(request, exc.message)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


form_methods = require_http_methods(["GET", "POST"])
