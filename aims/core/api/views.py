"""Answers the API gives outside any view: an unknown path under ``/api/``."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found

API_PREFIX = "/api/"


def not_found(request, exception=None):
    """The site's 404: JSON ``{code, message}`` under ``/api/``, the HTML page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {
                "code": "not_found",
                "message": _(
                    "There is no API endpoint at %(path)s. The schema at /api/schema/ "
                    "lists every endpoint."
                )
                % {"path": request.path},
            },
            status=404,
        )
    return page_not_found(request, exception)
