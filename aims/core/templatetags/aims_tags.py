"""Small template helpers shared by every app."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


@register.simple_tag(takes_context=True)
def chart_svg(context, svg):
    """A server-drawn SVG chart (``reporting.charts``) inline in the page. Its one ``<style>``
    element gets this response's Content-Security-Policy nonce, so the chart keeps its colours
    without allowing inline styles anywhere else."""
    nonce = getattr(context.get("request"), "csp_nonce", None)
    if nonce is not None:  # lazy: reading it puts the nonce into this response's policy
        svg = svg.replace("<style", format_html('<style nonce="{}"', str(nonce)), 1)
    return mark_safe(svg)  # noqa: S308 - reporting.charts escapes every label it draws
