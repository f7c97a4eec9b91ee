"""Backup and restore round trip: ``scripts/backup.sh`` then ``scripts/restore.sh`` into a new
database, with evidence files, generated documents and history; the restored copy passes the
audit-chain verifier and every stored file is re-hashed."""

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from aims.audit.models import ChainHead
from incidents import services
from incidents.models import Evidence, Incident
from reporting.choices import RunStatus
from reporting.models import ReportRun

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")),
    reason="the PostgreSQL client tools are not installed",
)


def url_for(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"


def admin_connection():
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture
def restore_database():
    """A new, empty database, dropped after the test."""
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with admin_connection() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def media(tmp_path, monkeypatch):
    """Evidence and documents of this test in a media folder of its own."""
    root = tmp_path / "media"
    monkeypatch.setattr(
        Evidence._meta.get_field("file"), "storage", FileSystemStorage(location=root / "evidence")
    )
    monkeypatch.setattr(
        ReportRun._meta.get_field("file"), "storage", FileSystemStorage(location=root / "reports")
    )
    return root


def run_script(script, *args, database, media_root):
    env = {
        **os.environ,
        "DATABASE_URL": url_for(database),
        "MEDIA_ROOT": str(media_root),
        "DJANGO_SETTINGS_MODULE": "aims.settings.local",
        "PGCONNECT_TIMEOUT": "10",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def counts(dbname: str) -> dict:
    tables = [
        Incident._meta.db_table,
        Incident.history.model._meta.db_table,
        Evidence._meta.db_table,
        ReportRun._meta.db_table,
    ]
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=dbname
    ) as conn:
        result = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        result["head"] = conn.execute(
            f'SELECT last_seq, last_hash FROM "{ChainHead._meta.db_table}"'
        ).fetchone()
    return result


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_keeps_history_chain_and_files(
    users, make_system, media, restore_database, tmp_path
):
    from reporting.services import register_export_request, report_execute

    grc = users["grc"]
    incident = services.incident_create(
        actor=grc,
        systems=[make_system()],
        severity=2,
        severity_reason="customers affected",
        data={"title": "Credit model drift", "description": "approval rate fell"},
    )
    for name, content in [
        ("logs.txt", b"prompt and output\n" * 200),
        ("shot.bin", os.urandom(4096)),
    ]:
        services.evidence_add(
            actor=grc,
            incident=incident,
            uploaded_file=SimpleUploadedFile(name, content),
            kind="other",
        )
    services.note_add(actor=grc, incident=incident, body="Rolled back to the previous model.")
    run = report_execute(register_export_request(actor=grc, fmt="csv", params={}).pk)
    assert run.status == RunStatus.DONE
    source = counts(settings.DATABASES["default"]["NAME"])
    assert source[Evidence._meta.db_table] == 2

    backup = tmp_path / "backup"
    made = run_script(
        "backup.sh", backup, database=settings.DATABASES["default"]["NAME"], media_root=media
    )
    assert made.returncode == 0, made.stderr
    assert {p.name for p in backup.iterdir()} == {
        "database.dump",
        "media.tar.gz",
        "BACKUP_INFO",
        "SHA256SUMS",
    }

    restored_media = tmp_path / "restored-media"
    restored = run_script(
        "restore.sh", backup, database=restore_database, media_root=restored_media
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "Audit chain intact" in restored.stdout
    assert "2 evidence files and 1 generated documents intact." in restored.stdout
    assert counts(restore_database) == source
    assert len(list((restored_media / "evidence").rglob("*.*"))) == 2

    # The verifier can fail: a changed evidence file in the restored copy is named.
    victim = next((restored_media / "evidence").rglob("*-logs.txt"))
    victim.write_bytes(b"edited after the fact\n")
    checked = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "verify_stored_files"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url_for(restore_database),
            "MEDIA_ROOT": str(restored_media),
            "DJANGO_SETTINGS_MODULE": "aims.settings.local",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 1
    assert f"of {incident.reference}: SHA-256 differs" in checked.stderr


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_backup_and_a_database_in_use(
    users, make_system, media, restore_database, tmp_path
):
    services.incident_create(
        actor=users["grc"],
        systems=[make_system()],
        data={"title": "Drift", "description": "approval rate fell"},
    )
    backup = tmp_path / "backup"
    dbname = settings.DATABASES["default"]["NAME"]
    assert run_script("backup.sh", backup, database=dbname, media_root=media).returncode == 0

    # Into the live database (not empty): refused, nothing touched.
    into_live = run_script("restore.sh", backup, database=dbname, media_root=tmp_path / "m1")
    assert into_live.returncode == 1
    assert "not empty" in into_live.stderr

    # A damaged dump: refused before anything is restored.
    with open(backup / "database.dump", "r+b") as handle:
        handle.seek(100)
        handle.write(b"\0\0\0\0")
    damaged = run_script(
        "restore.sh", backup, database=restore_database, media_root=tmp_path / "m2"
    )
    assert damaged.returncode == 1
    assert "do not match their SHA256SUMS" in damaged.stderr
    assert counts_tables(restore_database) == 0


def counts_tables(dbname: str) -> int:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=dbname
    ) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
