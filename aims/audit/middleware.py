"""Marks every request's writes as coming from the web or from the API."""

from .context import Source, reset_source, set_source


class AuditSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = Source.API if request.path.startswith("/api/") else Source.WEB
        token = set_source(source)
        try:
            return self.get_response(request)
        finally:
            reset_source(token)
