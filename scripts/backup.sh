#!/usr/bin/env bash
# Back up AIMS Register: the database (pg_dump, custom format) and the media folder (evidence
# files and generated documents), with a SHA256SUMS manifest.
#
#   DATABASE_URL=postgres://... MEDIA_ROOT=/srv/aims/media scripts/backup.sh /backups/aims-2026-12-01
#
# Order matters: the database is dumped first, then the files are copied. Evidence and documents
# are written once and their file is stored before its row commits, so every row in the dump has
# its file in the copy (a file without a row, from an upload during the backup, is harmless).
# Restore with scripts/restore.sh.
set -euo pipefail

DEST="${1:?usage: backup.sh DEST_DIR}"
: "${DATABASE_URL:?DATABASE_URL must point at the database to back up}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MEDIA_ROOT="${MEDIA_ROOT:-$ROOT/media}"

if [ -e "$DEST" ] && [ -n "$(ls -A "$DEST" 2>/dev/null)" ]; then
    echo "backup: $DEST exists and is not empty" >&2
    exit 1
fi
mkdir -p "$DEST"

# One consistent snapshot of every table (rows, history, audit chain, sequences).
pg_dump --format=custom --no-owner --no-privileges --file "$DEST/database.dump" "$DATABASE_URL"

mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -czf "$DEST/media.tar.gz" .

{
    echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "version=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "migrations=$(find "$ROOT" -path "$ROOT/.venv" -prune -o -path '*/migrations/0*.py' -print | wc -l)"
} >"$DEST/BACKUP_INFO"
(cd "$DEST" && sha256sum database.dump media.tar.gz BACKUP_INFO >SHA256SUMS)
echo "backup: written to $DEST ($(du -sh "$DEST" | cut -f1))"
