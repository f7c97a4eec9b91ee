"""Template filters for printed documents."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

# WeasyPrint lays out an unbroken run again for every line it cuts from it, so a 20,000-character
# token (a pasted key, a base64 blob) took about 12 s to wrap with ``overflow-wrap: anywhere``
# alone; a break opportunity every 32 characters brings it under 2 s. ``<wbr>`` adds no
# character: the text copied from the PDF is the text recorded.
SOFT_BREAK_EVERY = 32
LONG_RUN = re.compile(rf"\S{{{SOFT_BREAK_EVERY + 1},}}")


@register.filter(is_safe=True)
def soft_breaks(value) -> str:
    """``value`` escaped, with ``<wbr>`` break opportunities inside very long unbroken runs."""
    text = "" if value is None else str(value)
    parts, position = [], 0
    for match in LONG_RUN.finditer(text):
        parts.append(escape(text[position : match.start()]))
        run = match.group(0)
        parts.append(
            "<wbr>".join(
                escape(run[i : i + SOFT_BREAK_EVERY]) for i in range(0, len(run), SOFT_BREAK_EVERY)
            )
        )
        position = match.end()
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of user text is escaped above
