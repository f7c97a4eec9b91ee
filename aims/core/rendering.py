"""Rendering a registered fragment (a home panel, a section of a record's page) inside a page.

``render_to_string(..., request=request)`` would run every context processor again for each
fragment (the navigation, the unread count: queries per fragment). A fragment gets what it
needs instead: the signed-in user, the CSRF token for its forms, and the request itself.
"""

from django.middleware.csrf import get_token
from django.template.loader import render_to_string


def render_fragment(template: str, context: dict, request) -> str:
    context = {
        **context,
        "request": request,
        "user": request.user,
        "csrf_token": get_token(request),
    }
    return render_to_string(template, context)
