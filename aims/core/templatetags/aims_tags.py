"""Small template helpers shared by every app."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def chip(value, label=None, kind="status"):
    """A coloured chip that also carries its text, so colour is never the only signal."""
    text = label if label is not None else value
    return format_html('<span class="chip chip-{}-{}">{}</span>', kind, value, text)


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (for sort and page links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()
