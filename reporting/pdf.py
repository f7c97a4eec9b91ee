"""The one place a PDF is rendered: WeasyPrint with nothing fetched from outside.

Every PDF of reporting — case file, register export, review pack — goes through ``render_pdf``.
The stylesheet is read from disk and passed as a string, charts are inline SVG and fonts come
from the system, so a document needs no URL at all. The URL fetcher allows only ``data:`` URLs:
anything else (an ``<img src="http://…">`` slipped into user text that escaped escaping, a
``url()`` in a stylesheet) is refused rather than fetched, so rendering can neither leak the
server's network position (SSRF) nor wait on a slow host.

WeasyPrint is imported lazily: the web process never renders a PDF (workers do), and importing
it costs about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ALLOWED_PROTOCOLS = frozenset({"data"})
FETCH_TIMEOUT_S = 1
STYLESHEETS = settings.BASE_DIR / "static" / "css"


@dataclass
class RenderedPdf:
    content: bytes | None  # None when written to ``target``
    pages: int


def url_fetcher():
    """A fetcher that refuses every URL but ``data:`` (WeasyPrint logs the refusal and goes on)."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=set(ALLOWED_PROTOCOLS), timeout=FETCH_TIMEOUT_S)


def render_pdf(html: str, *, stylesheet: str | Path | None = None, target=None) -> RenderedPdf:
    """Render ``html`` (already escaped by its template) with ``stylesheet`` (a file name under
    ``static/css/`` or a path) to PDF bytes, or into ``target`` (a path or binary file)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fetcher = url_fetcher()
    stylesheets = []
    if stylesheet is not None:
        path = Path(stylesheet)
        path = path if path.is_absolute() else STYLESHEETS / path
        stylesheets.append(
            CSS(string=path.read_text(encoding="utf-8"), font_config=fonts, url_fetcher=fetcher)
        )
    document = HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=fonts
    )
    pages = len(document.pages)
    if target is not None:
        document.write_pdf(target)
        return RenderedPdf(content=None, pages=pages)
    return RenderedPdf(content=document.write_pdf(), pages=pages)
