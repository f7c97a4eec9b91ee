"""Renderers for the answers that are files, not JSON."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import renderers


class PassthroughRenderer(renderers.BaseRenderer):
    """Lets clients ask for the file's own type; errors still render as JSON."""

    media_type = "application/octet-stream"
    format = "bin"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return json.dumps(data, cls=DjangoJSONEncoder).encode()


class CSVRenderer(PassthroughRenderer):
    media_type = "text/csv"
    format = "csv"
