"""Register read paths at scale: ``python bench/run.py register --incidents 100000``.

Makes sure the bench database holds at least N incidents (``bench.generate``, in bulk) plus a
thousand with varied titles and descriptions (so a text search finds a few, as in a real
register), then requests the register as a GRC user would, in-process through the Django test
client: the HTML page (default, filtered, searched, a deep page) and the API list (default,
filtered, and a page deep in a cursor walk). For each it prints the median and p95 of the
repeated requests and the number of SQL queries one request makes.

Called from ``bench/run.py`` after ``setup_django()`` (it needs Django set up on the bench DB).
"""

import statistics
import time
from datetime import timedelta

REPEATS = 30
WARMUP = 3
THEMED = 1_000
# Varied texts for the themed incidents: a search for one word finds about a tenth of them.
THEMES = (
    ("Credit model rejects applications with a non-EU postcode", "approval rate drift by region"),
    ("Chatbot hallucinated a refund policy", "customers were promised refunds that do not exist"),
    ("Fraud scorer latency above its timeout", "requests fell back to manual review for hours"),
    ("Translation service leaked personal data", "names copied into a public glossary"),
    ("Resume screener ranked by age proxy", "graduation year used as a feature"),
    ("Vision model misread dosage labels", "pharmacy pilot paused after two near misses"),
    ("Recommendation loop amplified one seller", "feedback loop in click-through training"),
    ("Speech transcription dropped accented speakers", "word error rate doubled for one cohort"),
    ("Forecast model trained on a stale snapshot", "inventory orders doubled for a week"),
    ("Moderation classifier blocked medical terms", "support forum posts hidden wrongly"),
)
TEXT_QUERY = "hallucinated refund"
DEEP_PAGE = 2_000  # of the HTML register, 25 a page: 50,000 rows in
API_PAGE = 50


def _grc():
    from aims.accounts.services import user_upsert_with_role

    user, _created = user_upsert_with_role(username="bench-register-grc", role="grc")
    return user


def _ensure_data(n: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from bench.generate import ensure_base, generate_open_incidents
    from incidents.models import AffectedSystem, Incident

    made = False
    have = Incident.objects.count()
    if have < n:
        started = time.perf_counter()
        generate_open_incidents(n - have)
        print(f"generated {n - have} incidents in {time.perf_counter() - started:.1f} s")
        made = True
    year = timezone.now().year
    if not Incident.objects.filter(reference__startswith=f"INC-{year}-T").exists():
        owner, system_ids = ensure_base()
        now = timezone.now()
        themed = Incident.objects.bulk_create(
            [
                Incident(
                    reference=f"INC-{year}-T{i:07d}",
                    title=f"{THEMES[i % len(THEMES)][0]} ({i})",
                    description=THEMES[i % len(THEMES)][1],
                    severity=i % 4,
                    status="triaged",
                    detection_source="monitoring",
                    detected_at=now - timedelta(minutes=i % 600),
                    reported_by=owner,
                )
                for i in range(THEMED)
            ]
        )
        AffectedSystem.objects.bulk_create(
            [
                AffectedSystem(incident=inc, system_id=system_ids[i % len(system_ids)])
                for i, inc in enumerate(themed)
            ]
        )
        made = True
    if made:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _client(user):
    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _cursor_mode(client) -> bool:
    """Whether the API answers ``?cursor=`` with a cursor page (no count)."""
    body = client.get("/api/v1/incidents/", {"cursor": "", "page_size": 1}).json()
    return "count" not in body and "results" in body


def _deep_cursor() -> str:
    """The API URL of the cursor page 50,000 rows into a walk: the cursor the page before it
    would have handed out, encoded as the API encodes it."""
    from rest_framework.pagination import Cursor

    from aims.core.api.pagination import FilingOrderCursorPagination
    from incidents.models import Incident

    position = Incident.objects.order_by("id").values_list("id", flat=True)[DEEP_PAGE * 25 - 1]
    paginator = FilingOrderCursorPagination()
    paginator.base_url = f"/api/v1/incidents/?page_size={API_PAGE}"
    return paginator.encode_cursor(Cursor(offset=0, reverse=False, position=str(position)))


def _cases(client) -> list[tuple[str, str, dict]]:
    from incidents.models import Incident

    reference = Incident.objects.order_by("id").values_list("reference", flat=True)[
        Incident.objects.count() // 2
    ]
    filtered = {"severity": "1", "status": "triaged"}
    cases = [
        ("register: default page", "/incidents/", {}),
        ("register: severity + status", "/incidents/", filtered),
        ("register: search by reference", "/incidents/", {"q": reference}),
        ("register: search by text", "/incidents/", {"q": TEXT_QUERY}),
        (f"register: page {DEEP_PAGE:,}", "/incidents/", {"page": str(DEEP_PAGE)}),
        ("API list: default", "/api/v1/incidents/", {}),
        ("API list: severity + status", "/api/v1/incidents/", filtered),
    ]
    if _cursor_mode(client):
        cases.append(("API list: cursor page 50,000 rows in", _deep_cursor(), {}))
    else:  # before cursor pagination: the same depth by page number
        deep = {"page": str(DEEP_PAGE * 25 // API_PAGE)}
        cases.append(("API list: page-number page 50,000 rows in", "/api/v1/incidents/", deep))
    return cases


def _measure(client, url: str, params: dict, repeats: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params} answered {response.status_code}")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, params)
    # Every query of the request, the session and user lookups included.
    queries = len(ctx.captured_queries)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "median": statistics.median(timings),
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "queries": queries,
    }


def run(n: int = 100_000, repeats: int = REPEATS) -> dict:
    _ensure_data(n)
    client = _client(_grc())
    from incidents.models import Incident

    print(f"register: {Incident.objects.count()} incidents, {repeats} requests per case")
    results = {}
    print(f"{'case':45} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, url, params in _cases(client):
        result = _measure(client, url, params, repeats)
        results[name] = result
        print(
            f"{name:45} {result['median']:10.1f} {result['p95']:8.1f} {result['queries']:8d}",
            flush=True,
        )
    return results


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.run import setup_django

    setup_django()
    run()
