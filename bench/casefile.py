"""Case-file render time by size: ``python bench/run.py casefile`` (or ``python -m bench.casefile``).

For each size N, one incident with N timeline entries and 10 evidence items, made through the
real services (so every row has its audit history, as in production), is rendered a few times;
the median of the context queries, the template and WeasyPrint is printed. Incidents are kept
in the benchmark database and reused by the next run. Evidence files go to a temporary
directory, never to the development media folder.
"""

import statistics
import time
from datetime import timedelta
from pathlib import Path

EVIDENCE_ITEMS = 10
REPEATS = 3
NOTE_TEXTS = (
    "Checked the rejection rate by postcode region; the non-EU share is still rising.",
    "Spoke with the model owner: the retrain on 2026-02-27 changed the feature scaling.",
    "Sampled 40 rejected applications by hand; 31 would have been accepted before the retrain.",
    "Monitoring threshold for approval-rate drift lowered from 5 % to 2 % while we investigate.",
)


def _actors():
    from aims.accounts.services import user_upsert_with_role

    grc, _ = user_upsert_with_role(
        username="bench-casefile-grc", role="grc", email="bench-grc@example.org"
    )
    engineer, _ = user_upsert_with_role(
        username="bench-casefile-engineer", role="engineer", email="bench-eng@example.org"
    )
    return grc, engineer


def _system(grc, engineer):
    from django.utils import timezone

    from inventory import services as inventory
    from inventory.models import AISystem

    system = AISystem.objects.filter(name="Bench case-file system").first()
    if system is not None:
        return system
    system = inventory.system_create(
        actor=grc,
        data={
            "name": "Bench case-file system",
            "intended_purpose": "Credit decisions (benchmark)",
            "business_owner": engineer,
        },
    )
    version = inventory.model_version_create(
        actor=grc,
        system=system,
        data={
            "version_label": "v7.2",
            "artifact_digest": "sha256:" + "ab" * 32,
            "training_data_version": "loans-2026-02",
            "prompt_config_version": "cfg-41",
        },
    )
    inventory.deployment_record(
        actor=grc,
        system=system,
        data={
            "model_version": version,
            "deployed_at": timezone.now() - timedelta(days=3),
            "change_type": "retrain",
            "change_reference": "PR-1234",
        },
    )
    return system


def incident_with_entries(size: int, *, grc, engineer, system):
    """The bench incident with ``size`` timeline entries and 10 evidence items (made once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents import services
    from incidents.models import Incident

    title = f"Bench case file with {size} timeline entries"
    incident = Incident.objects.filter(title=title).first()
    if incident is None:
        incident = services.incident_create(
            actor=engineer,
            data={
                "title": title,
                "description": "Rejections rose for applicants with a non-EU postcode.",
                "detection_source": "monitoring",
                "types": ["bias", "drift"],
                "individuals_affected_estimate": 420,
            },
            systems=[system],
            severity=1,
            severity_reason="Systematically wrong outputs for a defined group",
        )
        for n in range(EVIDENCE_ITEMS):
            services.evidence_add(
                actor=engineer,
                incident=incident,
                uploaded_file=SimpleUploadedFile(
                    f"decisions-{n:02d}.csv", f"id,decision\n{n},reject\n".encode()
                ),
                kind="sample_io",
            )
    missing = size - incident.timeline.count()
    for n in range(max(missing, 0)):
        services.note_add(actor=grc, incident=incident, body=NOTE_TEXTS[n % len(NOTE_TEXTS)])
    return incident


def run(sizes=(50, 200, 1000)) -> list[dict]:
    """Print and return the render time of a case file per number of timeline entries."""
    from reporting.builders.casefile import RenderTiming, render_case_file

    results = []
    # Evidence files go to the benchmark's MEDIA_ROOT (bench/run.py sets it).
    grc, engineer = _actors()
    system = _system(grc, engineer)
    incidents = {}
    for size in sizes:
        started = time.perf_counter()
        incidents[size] = incident_with_entries(size, grc=grc, engineer=engineer, system=system)
        print(f"case file {size:>5} entries: data ready in {time.perf_counter() - started:.1f} s")

    warm = RenderTiming()
    render_case_file(incident=incidents[sizes[0]], actor=grc, timing=warm)
    print(f"first render in this process (WeasyPrint start-up included): {warm.total_s:.2f} s")

    for size in sizes:
        timings, cpu, pdf = [], [], b""
        for _ in range(REPEATS):
            timing = RenderTiming()
            started = time.process_time()
            pdf = render_case_file(incident=incidents[size], actor=grc, timing=timing)
            cpu.append(time.process_time() - started)
            timings.append(timing)
        row = {
            "entries": size,
            "evidence": EVIDENCE_ITEMS,
            "pages": timings[-1].pages,
            "kib": len(pdf) // 1024,
            "context_s": statistics.median(t.context_s for t in timings),
            "template_s": statistics.median(t.template_s for t in timings),
            "weasyprint_s": statistics.median(t.weasyprint_s for t in timings),
            "total_s": statistics.median(t.total_s for t in timings),
            "cpu_s": statistics.median(cpu),
        }
        results.append(row)
        print(
            f"case file {size:>5} entries, {EVIDENCE_ITEMS} evidence: {row['pages']:>3} pages, "
            f"{row['kib']:>5} KiB — context {row['context_s'] * 1000:.0f} ms, "
            f"template {row['template_s'] * 1000:.0f} ms, "
            f"WeasyPrint {row['weasyprint_s']:.2f} s, total {row['total_s']:.2f} s, "
            f"CPU {row['cpu_s']:.2f} s (median of {REPEATS}; wall time grows on a busy machine)"
        )
    return results


if __name__ == "__main__":
    import argparse
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.run import setup_django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 200, 1000])
    args = parser.parse_args()
    setup_django()
    run(tuple(args.sizes))
