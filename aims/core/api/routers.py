"""The router every app's API uses."""

from rest_framework.routers import DefaultRouter


class ApiRouter(DefaultRouter):
    """DRF's router without format-suffix routes (``…/timeline.json``).

    Clients choose the representation with the ``Accept`` header (or ``?format=``); a suffix
    route would hand every ``@action`` a ``format`` argument it does not take. The schema never
    listed those routes, so they answer 404 like any other unknown path.
    """

    include_format_suffixes = False
