#!/usr/bin/env bash
# Restore an AIMS Register backup made by scripts/backup.sh into an EMPTY database and an empty
# media folder, then verify it: the audit hash chain (verify_audit_chain) and the SHA-256 of every
# evidence file and generated document (verify_stored_files). Exits non-zero if anything fails.
#
#   DATABASE_URL=postgres://.../aims_restored MEDIA_ROOT=/srv/aims/media scripts/restore.sh /backups/aims-2026-12-01
#
# The database must exist and be empty (createdb it first); the application need not be running.
set -euo pipefail

SRC="${1:?usage: restore.sh BACKUP_DIR}"
: "${DATABASE_URL:?DATABASE_URL must point at the (empty) database to restore into}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MEDIA_ROOT="${MEDIA_ROOT:-$ROOT/media}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
export DATABASE_URL MEDIA_ROOT
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-aims.settings.production}"

(cd "$SRC" && sha256sum --quiet --check SHA256SUMS) || {
    echo "restore: the backup files do not match their SHA256SUMS; not restoring" >&2
    exit 1
}

tables="$(psql "$DATABASE_URL" -XAtqc "select count(*) from pg_tables where schemaname = 'public'")"
if [ "$tables" != "0" ]; then
    echo "restore: the target database is not empty ($tables tables); restore into a new one" >&2
    exit 1
fi
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT" 2>/dev/null)" ]; then
    echo "restore: $MEDIA_ROOT is not empty; restore into an empty folder" >&2
    exit 1
fi

pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
    --dbname "$DATABASE_URL" "$SRC/database.dump"
mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$SRC/media.tar.gz"

cd "$ROOT"
"$PYTHON" manage.py migrate --check >/dev/null || {
    echo "restore: the backup's schema differs from this code's migrations; run 'manage.py migrate'" >&2
}
"$PYTHON" manage.py verify_audit_chain
"$PYTHON" manage.py verify_stored_files
echo "restore: done and verified"
