"""Audit samples: a reproducible draw, a bundle whose manifest proves itself, and who may draw.

Data is made through the real services (``incident_create``, ``evidence_add``); runs are built
inline with ``report_execute``. Bundles are kept to a few incidents: each one renders its
case-file PDF.
"""

import hashlib
import io
import json
import random
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from aims.audit.chain import latest_verification
from aims.core.exceptions import PermissionRefused, ValidationFailed
from incidents import services as incident_services
from incidents.choices import CustodyAction, DetectionSource, Kind, Severity, Status
from incidents.models import EvidenceAccess
from reporting import selectors, services
from reporting.builders import sample as samples
from reporting.choices import ReportKind, RunStatus
from reporting.models import ReportRun
from reporting.services import report_execute, review_pack_request

pytestmark = pytest.mark.django_db

ALLOWED = ["auditor", "grc", "risk_officer"]
REFUSED = ["engineer", "ethics", "executive"]
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _bundles_in_tmp(tmp_path, monkeypatch):
    """Bundles are written to temporary files; keep them under the test's own directory."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def file_incident(actor, n=0, *, severity=Severity.P2, kind=Kind.INCIDENT, systems=(), at=None):
    return incident_services.incident_create(
        actor=actor,
        data={
            "title": f"Chatbot gave a harmful answer #{n}",
            "description": "A customer received advice the policy forbids.",
            "detection_source": DetectionSource.USER_REPORT,
            "kind": kind,
            "detected_at": at or T0 + timedelta(hours=n),
        },
        systems=list(systems),
        severity=severity,
        severity_reason="Initial assessment." if severity is not None else "",
    )


def add_evidence(incident, actor, content: bytes, name: str):
    return incident_services.evidence_add(
        actor=actor,
        incident=incident,
        uploaded_file=SimpleUploadedFile(name, content, content_type="text/plain"),
        kind="sample_io",
    )


def refs(draw):
    return draw.references


def read_bundle(run):
    """The run's ZIP: {path: bytes} and its manifest."""
    with run.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as bundle:
        contents = {name: bundle.read(name) for name in bundle.namelist()}
    return contents, json.loads(contents["manifest.json"])


@pytest.fixture
def few(users):
    """Four P2 incidents: three on 1 January 2026 (the last at 23:00), one on the 2nd."""
    return [file_incident(users["grc"], n) for n in (0, 1, 14, 20)]


@pytest.fixture
def sampled(users, make_system):
    """Three incidents with evidence (two files of one share a name) and one more outside."""
    grc = users["grc"]
    incidents = [file_incident(grc, n, severity=Severity.P1) for n in range(3)]
    incident_services.incident_add_system(
        actor=grc, incident=incidents[0], system=make_system(name="Loan scoring")
    )
    add_evidence(incidents[0], grc, b"prompt,response\nhello,harmful\n", "io.csv")
    add_evidence(incidents[0], grc, b"2026-01-01 09:00 request=... response=...\n", "log.txt")
    add_evidence(incidents[1], grc, b"first export\n", "log.txt")
    add_evidence(incidents[1], grc, b"second export, same name\n", "log.txt")
    file_incident(grc, 99, severity=Severity.P3)
    return incidents


def request_sample(actor, **data):
    return services.audit_sample_request(actor=actor, data={"size": 5, "seed": 7, **data})


# --- the draw -------------------------------------------------------------------------------


def test_the_draw_is_reproducible_and_is_the_documented_algorithm(users):
    incidents = [file_incident(users["grc"], n) for n in range(30)]
    auditor = users["auditor"]

    first = selectors.sample_draw(actor=auditor, filters={}, size=5, seed=20260331)
    again = selectors.sample_draw(actor=auditor, filters={}, size=5, seed=20260331)
    assert first == again
    assert len(first.references) == 5 and first.population_size == 30
    assert first.references == sorted(first.references)

    other = selectors.sample_draw(actor=auditor, filters={}, size=5, seed=1)
    assert other.references != first.references  # 1 chance in C(30, 5) = 142,506 of a clash
    assert other.population_sha256 == first.population_sha256

    # Anyone can repeat the draw from the manifest with the standard library alone.
    ids = sorted(i.pk for i in incidents)
    by_id = {i.pk: i.reference for i in incidents}
    expected = random.Random(20260331).sample(ids, 5)  # noqa: S311
    assert first.references == sorted(by_id[pk] for pk in expected)
    joined = ",".join(str(pk) for pk in ids).encode()
    assert first.population_sha256 == hashlib.sha256(joined).hexdigest()


def test_an_incident_outside_the_filters_does_not_change_the_sample(users, make_system):
    grc, auditor = users["grc"], users["auditor"]
    system = make_system()
    for n in range(8):
        file_incident(grc, n, severity=Severity.P1, systems=[system])
    filters = {"severity": [Severity.P1], "system": system.pk}
    before = selectors.sample_draw(actor=auditor, filters=filters, size=4, seed=5)

    file_incident(grc, 50, severity=Severity.P3, systems=[system])  # other severity
    file_incident(grc, 51, severity=Severity.P1)  # other system
    after = selectors.sample_draw(actor=auditor, filters=filters, size=4, seed=5)
    assert after == before

    file_incident(grc, 52, severity=Severity.P1, systems=[system])  # inside: a new population
    inside = selectors.sample_draw(actor=auditor, filters=filters, size=4, seed=5)
    assert inside.population_size == before.population_size + 1
    assert inside.population_sha256 != before.population_sha256


def test_population_filters(users, make_system):
    grc, auditor = users["grc"], users["auditor"]
    system = make_system()
    p0 = file_incident(grc, 1, severity=Severity.P0, systems=[system])
    near_miss = file_incident(grc, 2, severity=Severity.P2, kind=Kind.NEAR_MISS)
    late = file_incident(grc, 3, severity=Severity.P3, at=T0 + timedelta(days=40))
    triaged = file_incident(grc, 4, severity=Severity.P1, systems=[system])
    incident_services.incident_transition(
        actor=grc, incident=triaged, to=Status.TRIAGED, reason="Severity, system and source set."
    )

    def population(**filters):
        return set(selectors.sample_population(auditor, filters))

    assert population() == {p0, near_miss, late, triaged}
    assert population(severity=[0, 1]) == {p0, triaged}
    assert population(kind=Kind.NEAR_MISS) == {near_miss}
    assert population(system=system.pk) == {p0, triaged}
    assert population(status=[Status.TRIAGED]) == {triaged}
    assert population(detected_after=(T0 + timedelta(days=30)).isoformat()) == {late}
    assert population(detected_before=(T0 + timedelta(days=1)).isoformat()) == {
        p0,
        near_miss,
        triaged,
    }


def test_restricted_incidents_stay_out_of_an_auditors_population(users, few):
    secret = file_incident(users["grc"], 77)
    incident_services.incident_update(
        actor=users["grc"], incident=secret, data={"restricted": True}
    )
    assert secret not in set(selectors.sample_population(users["auditor"], {}))
    assert secret in set(selectors.sample_population(users["grc"], {}))


# --- the request ----------------------------------------------------------------------------


def test_the_request_records_the_draw_and_a_generated_seed(users, few):
    run = services.audit_sample_request(
        actor=users["auditor"], data={"size": 4, "detected_before": "2026-01-01"}
    )
    params = run.params
    assert run.kind == ReportKind.AUDIT_SAMPLE and run.status == RunStatus.QUEUED
    assert params["seed_generated"] is True and isinstance(params["seed"], int)
    # A date alone as the upper bound includes that whole day (the incident at 23:00 too).
    assert params["filters"]["detected_before"].startswith("2026-01-01T23:59:59.999999")
    assert params["population_size"] == 3
    assert len(params["drawn"]) == 3  # k = min(size, population)
    repeat = selectors.sample_draw(
        actor=users["auditor"], filters=params["filters"], size=4, seed=params["seed"]
    )
    assert repeat.references == params["drawn"]
    assert repeat.incident_ids == params["incident_ids"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": 501}, "size"),
        ({}, "size"),
        ({"size": 3, "seed": "abc"}, "seed"),
        ({"size": 3, "seed": -1}, "seed"),
        ({"size": 3, "detected_after": "31/03/2026"}, "detected_after"),
        (
            {"size": 3, "detected_after": "2026-03-02", "detected_before": "2026-03-01"},
            "detected_before",
        ),
        ({"size": 3, "severity": [7]}, "severity"),
        ({"size": 3, "status": ["lost"]}, "status"),
        ({"size": 3, "system": 999999}, "system"),
    ],
)
def test_invalid_parameters_are_refused_with_the_field(users, data, field):
    with pytest.raises(ValidationFailed) as caught:
        services.audit_sample_request(actor=users["auditor"], data=data)
    assert field in caught.value.fields


def test_an_empty_population_is_refused(users, few):
    with pytest.raises(ValidationFailed, match="nothing to sample"):
        request_sample(users["auditor"], kind=Kind.NEAR_MISS)


@pytest.mark.parametrize("role", REFUSED)
def test_the_service_refuses_roles_that_cannot_sample(users, role):
    with pytest.raises(PermissionRefused):
        request_sample(users[role])


# --- the bundle -----------------------------------------------------------------------------


def test_the_bundle_holds_case_files_evidence_and_a_manifest_that_proves_them(users, sampled):
    auditor = users["auditor"]
    run = report_execute(request_sample(auditor, severity=[Severity.P1]).pk)
    assert run.status == RunStatus.DONE, run.message
    assert run.file_name == f"audit-sample-{run.pk}.zip"
    assert run.media_type == "application/zip"
    assert run.progress_done == run.progress_total == 3
    with run.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == run.sha256

    contents, manifest = read_bundle(run)
    references = sorted(i.reference for i in sampled)
    a, b, c = references
    assert set(contents) == {
        "manifest.json",
        f"{a}/case-file.pdf",
        f"{a}/evidence/io.csv",
        f"{a}/evidence/log.txt",
        f"{b}/case-file.pdf",
        f"{b}/evidence/log.txt",
        f"{b}/evidence/{sampled[1].evidence.order_by('id').last().pk}-log.txt",
        f"{c}/case-file.pdf",
    }
    assert all(contents[f"{ref}/case-file.pdf"].startswith(b"%PDF") for ref in references)

    # Every file but the manifest is listed, and each listed hash is the file's.
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(contents) - {"manifest.json"}
    for path, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(contents[path]).hexdigest(), path
        assert entry["size"] == len(contents[path])
    # Evidence matches the hash recorded when it was preserved.
    recorded = {e.pk: e.sha256 for i in sampled for e in i.evidence.all()}
    evidence = [e for e in manifest["files"] if e["kind"] == "evidence"]
    assert len(evidence) == 4
    for entry in evidence:
        assert entry["matched"] is True
        assert entry["recorded_sha256"] == recorded[entry["evidence_id"]] == entry["sha256"]
    assert manifest["failures"] == []

    sampling = manifest["sampling"]
    assert sampling["drawn"] == references
    assert sampling["seed"] == 7 and sampling["size"] == 5 and sampling["seed_generated"] is False
    assert sampling["filters"]["severity"] == [Severity.P1]
    ids = sorted(i.pk for i in sampled)
    assert sampling["population_size"] == 3
    assert (
        sampling["population_sha256"]
        == hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()
    )
    assert sampling["population_when_bundled"]["unchanged"] is True
    assert manifest["generated_by"]["username"] == auditor.username
    assert manifest["report_run"] == run.pk

    # The audit chain was verified at the start of the bundle, and the result recorded.
    chain, recorded = manifest["audit_chain"], latest_verification()
    assert chain["intact"] is True and chain["problem"] == ""
    assert chain["checked"] == recorded.checked > 0
    assert chain["head_hash"] == recorded.head_hash and len(chain["head_hash"]) == 64

    # Each bundled file is in its chain of custody.
    bundled = EvidenceAccess.objects.filter(action=CustodyAction.BUNDLED, user=auditor)
    assert bundled.count() == 4


def test_a_broken_audit_chain_is_reported_in_the_manifest(users, sampled):
    run = request_sample(users["auditor"], size=1)
    history = ReportRun.history.model
    # Alter a history record behind the application's back (what an attacker with SQL would do).
    history.objects.filter(id=run.pk).update(message="altered")
    run = report_execute(run.pk)
    assert run.status == RunStatus.DONE, run.message
    _contents, manifest = read_bundle(run)
    assert manifest["audit_chain"]["intact"] is False
    assert "changed after it was written" in manifest["audit_chain"]["problem"]
    assert manifest["audit_chain"]["broken_record"]


def test_a_tampered_evidence_file_fails_the_run_and_names_the_file(users, sampled, tmp_path):
    auditor = users["auditor"]
    victim = sampled[0].evidence.get(original_name="log.txt")
    with open(victim.file.path, "wb") as handle:
        handle.write(b"rewritten after it was preserved\n")

    system = sampled[0].affected_systems.get().system
    run = report_execute(request_sample(auditor, system=system.pk).pk)
    assert run.status == RunStatus.FAILED
    assert not run.file
    assert sampled[0].reference in run.message
    assert "log.txt" in run.message
    assert f"#{victim.pk}" in run.message
    assert victim.sha256 in run.message
    assert EvidenceAccess.objects.filter(
        evidence=victim, action=CustodyAction.INTEGRITY_FAILED, hash_verified=False
    ).exists()

    # The manifest records the failure (and still lists every intact file).
    manifest = samples.bundle_write(run=run, path=str(tmp_path / "check.zip"))
    [failure] = manifest["failures"]
    assert failure["evidence_id"] == victim.pk
    assert failure["recorded_sha256"] == victim.sha256
    assert (
        failure["found_sha256"] == hashlib.sha256(b"rewritten after it was preserved\n").hexdigest()
    )
    assert failure["path"] == f"{sampled[0].reference}/evidence/log.txt"
    assert {e["path"] for e in manifest["files"]} == {
        f"{sampled[0].reference}/case-file.pdf",
        f"{sampled[0].reference}/evidence/io.csv",
    }


def test_incidents_no_longer_visible_fail_the_run(users, sampled):
    run = request_sample(users["auditor"], severity=[Severity.P1])
    incident_services.incident_update(
        actor=users["grc"], incident=sampled[2], data={"restricted": True}
    )
    run = report_execute(run.pk)
    assert run.status == RunStatus.FAILED
    assert sampled[2].reference in run.message


# --- API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_api_draws_a_sample_for_allowed_roles(users, few, api_client_for, role):
    response = api_client_for(users[role]).post(
        reverse("audit-sample-list"), {"size": 3, "seed": 11, "severity": [2]}, format="json"
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/report-runs/{body['id']}/"
    assert body["kind"] == ReportKind.AUDIT_SAMPLE and body["status"] == RunStatus.QUEUED
    assert len(body["params"]["drawn"]) == 3 and body["params"]["seed"] == 11


@pytest.mark.parametrize("role", REFUSED)
def test_api_refuses_roles_that_cannot_sample(users, api_client_for, role):
    client = api_client_for(users[role])
    response = client.post(reverse("audit-sample-list"), {"size": 3}, format="json")
    assert response.status_code == 403
    assert "audit samples" in response.json()["message"]
    assert not ReportRun.objects.filter(kind=ReportKind.AUDIT_SAMPLE).exists()


def test_api_reports_status_and_the_download_link(users, sampled, api_client_for):
    client = api_client_for(users["auditor"])
    response = client.post(reverse("audit-sample-list"), {"size": 2, "seed": 3}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    detail = reverse("audit-sample-detail", args=[run_id])
    assert client.get(detail).json()["status"] == RunStatus.QUEUED
    assert client.get(response["Location"]).json()["id"] == run_id

    report_execute(run_id)
    body = client.get(detail).json()
    assert body["status"] == RunStatus.DONE and body["percent"] == 100
    assert body["download_url"] == reverse("report-run-download", args=[run_id])
    download = client.get(body["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == body["sha256"]


def test_api_shows_only_sample_runs(users, sampled, api_client_for):
    auditor = users["auditor"]
    other = review_pack_request(actor=auditor)
    client = api_client_for(auditor)
    assert client.get(reverse("audit-sample-detail", args=[other.pk])).status_code == 404
    mine = request_sample(auditor, size=1)
    listed = client.get(reverse("audit-sample-list")).json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]


def test_api_explains_invalid_parameters(users, few, api_client_for):
    client = api_client_for(users["auditor"])
    response = client.post(reverse("audit-sample-list"), {"size": 900}, format="json")
    assert response.status_code == 400
    assert "size" in response.json()["fields"]
    response = client.post(reverse("audit-sample-list"), {"size": 3, "kind": "near_miss"})
    assert response.status_code == 400
    assert "nothing to sample" in response.json()["message"]


# --- HTML -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "grc"])
def test_reports_page_offers_the_form_and_it_starts_a_run(client, users, few, role):
    client.force_login(users[role])
    page = client.get(reverse("reporting:reports")).content.decode()
    assert "Draw an audit sample" in page
    assert reverse("reporting:sample-new") in page
    form = client.get(reverse("reporting:sample-new"))
    assert form.status_code == 200
    assert 'name="seed"' in form.content.decode()

    response = client.post(
        reverse("reporting:sample-new"),
        {"size": "4", "seed": "8", "severity": ["2"], "detected_after": "2026-01-01"},
    )
    run = ReportRun.objects.get(kind=ReportKind.AUDIT_SAMPLE)
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:run-detail", args=[run.pk])
    assert run.params["seed"] == 8 and run.params["filters"]["severity"] == [2]
    assert len(run.params["drawn"]) == 4
    assert client.get(response["Location"]).status_code == 200


def test_the_form_shows_what_is_wrong(client, users, few):
    client.force_login(users["auditor"])
    response = client.post(reverse("reporting:sample-new"), {"size": "3", "kind": "near_miss"})
    assert response.status_code == 400
    assert "nothing to sample" in response.content.decode()
    response = client.post(reverse("reporting:sample-new"), {"size": "0"})
    assert response.status_code == 200
    assert "sample-form" in response.content.decode()
    assert not ReportRun.objects.exists()


@pytest.mark.parametrize("role", REFUSED)
def test_html_refuses_roles_that_cannot_sample(client, users, role):
    client.force_login(users[role])
    assert "Draw an audit sample" not in client.get(reverse("reporting:reports")).content.decode()
    assert client.get(reverse("reporting:sample-new")).status_code == 403
    response = client.post(reverse("reporting:sample-new"), {"size": "3"})
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


# --- command --------------------------------------------------------------------------------


def test_the_command_writes_the_zip_and_prints_its_hash(users, sampled, tmp_path):
    out = tmp_path / "out" / "sample.zip"
    stdout = io.StringIO()
    call_command(
        "export_audit_sample",
        "--auditor",
        users["auditor"].username,
        "--size",
        "2",
        "--seed",
        "4",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
        "--severity",
        "1",
        "--severity",
        "0",
        "--out",
        str(out),
        stdout=stdout,
    )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert f"SHA-256: {digest}  {out}" in stdout.getvalue()
    run = ReportRun.objects.get(kind=ReportKind.AUDIT_SAMPLE)
    assert run.sha256 == digest and run.requested_by == users["auditor"]
    with zipfile.ZipFile(out) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["sampling"]["seed"] == 4
    assert manifest["sampling"]["filters"]["severity"] == [0, 1]
    assert manifest["sampling"]["drawn"] == run.params["drawn"]
    assert f"seed 4: {', '.join(run.params['drawn'])}" in stdout.getvalue()


def test_the_command_refuses_what_the_service_refuses(users, sampled, tmp_path):
    with pytest.raises(CommandError, match="cannot draw audit samples"):
        call_command(
            "export_audit_sample",
            "--auditor",
            users["engineer"].username,
            "--size",
            "2",
            "--out",
            str(tmp_path / "x.zip"),
        )
    with pytest.raises(CommandError, match="No user"):
        call_command(
            "export_audit_sample", "--auditor", "nobody", "--size", "2", "--out", str(tmp_path)
        )
