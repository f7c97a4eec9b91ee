"""The API's JSON parser: a body is accepted only if the database can store what it says."""

import json
import math

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

NUL = "\x00"


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(_("The number %s is too large.") % text[:40])
    return value


def _reject_constant(name: str):
    raise ValueError(_("%s is not a JSON number.") % name)


def find_nul(value, path: str = "") -> str | None:
    """The path of the first string (key or value) holding a NUL character, else None."""
    if isinstance(value, str):
        return path or "body" if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if NUL in str(key):
                return where
            found = find_nul(item, where)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}[{index}]")
            if found:
                return found
    return None


class JSONParser(parsers.JSONParser):
    """JSON as DRF parses it, and also refused with 400 when it holds

    * a NUL character in any string: PostgreSQL text cannot store it;
    * a number that overflows to infinity (``1e999``), or ``NaN``/``Infinity``.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parsers.get_encoding(parser_context)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_float=_finite, parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(_("JSON parse error - %s") % exc) from exc
        where = find_nul(data)
        if where:
            raise ParseError(
                _("%s contains a NUL character (\\u0000), which text cannot hold.") % where
            )
        return data
