"""Every PDF is rendered by ``reporting.pdf.render_pdf``, which fetches nothing from outside."""

import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from reporting.pdf import render_pdf

REPORTING = Path(__file__).resolve().parents[1]


@pytest.fixture
def web_server():
    """A local web server that counts the requests it receives."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red; }")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def html_with_urls(base: str) -> str:
    return (
        f'<html><head><link rel="stylesheet" href="{base}/style.css">'
        f"<style>@import url({base}/imported.css); p {{ background: url({base}/bg.png); }}</style>"
        f'</head><body><p>Loan model <img src="{base}/pixel.png"> rejects applicants</p>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</body></html>"
    )


def test_a_pdf_with_external_urls_fetches_none_of_them(web_server):
    base, hits = web_server
    rendered = render_pdf(html_with_urls(base))
    assert rendered.content.startswith(b"%PDF-") and rendered.pages == 1
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=rendered.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Loan model" in text and "rejects applicants" in text
    assert hits == []


def test_positive_control_weasyprint_on_its_own_fetches_them(web_server):
    """Without the restriction the same document reaches the server: the test above can fail."""
    from weasyprint import HTML

    base, hits = web_server
    HTML(string=html_with_urls(base)).write_pdf()
    assert "/pixel.png" in hits and "/style.css" in hits


def test_render_pdf_is_the_only_place_weasyprint_is_used():
    users = sorted(
        str(path.relative_to(REPORTING))
        for path in REPORTING.rglob("*.py")
        if "tests" not in path.parts
        and re.search(r"^\s*(from|import) weasyprint", path.read_text(), re.MULTILINE)
    )
    assert users == ["pdf.py"]
