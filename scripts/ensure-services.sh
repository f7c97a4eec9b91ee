#!/usr/bin/env bash
# Make sure PostgreSQL and Redis are reachable for AIMS Register.
#
# Idempotent and non-interactive (safe in CI, never prompts). Meant to run as root.
#   - DATABASE_URL / REDIS_URL pointing at another host: only wait for that server.
#   - Otherwise (local default): install (apt) and start the local server when needed,
#     then make sure the application role and database exist.
set -euo pipefail

DEFAULT_DATABASE_URL="postgres://aims:aims@127.0.0.1:5432/aims"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379/0"
DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
REDIS_URL="${REDIS_URL:-$DEFAULT_REDIS_URL}"
WAIT_SECONDS="${WAIT_SECONDS:-30}"

export DEBIAN_FRONTEND=noninteractive
export PGCONNECT_TIMEOUT=5

log() { printf '%s\n' "$*"; }
die() { printf 'ensure-services: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        die "need root to run: $*"
    fi
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
}

# Parse a URL into "scheme host port user password dbpath", percent-decoded, separated by
# \x1f (not a tab: bash's read would merge adjacent whitespace separators of empty fields).
parse_url() {
    python3 - "$1" <<'PY'
import sys
from urllib.parse import unquote, urlsplit

u = urlsplit(sys.argv[1])
fields = [
    u.scheme,
    u.hostname or "",
    str(u.port or ""),
    unquote(u.username or ""),
    unquote(u.password or ""),
    unquote(u.path.lstrip("/")),
]
print("\x1f".join(fields))
PY
}

is_local_host() {
    case "$1" in
        "" | localhost | 127.0.0.1 | ::1 | 0.0.0.0) return 0 ;;
        *) return 1 ;;
    esac
}

# Plain TCP check, for when the client tools are not installed.
tcp_open() {
    timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# ---------------------------------------------------------------- PostgreSQL

IFS=$'\x1f' read -r _ PG_HOST PG_PORT PG_USER PG_PASSWORD PG_DB < <(parse_url "$DATABASE_URL") || true
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-aims}"
PG_PASSWORD="${PG_PASSWORD:-aims}"
PG_DB="${PG_DB:-aims}"
[ "$PG_HOST" = "localhost" ] && PG_HOST=127.0.0.1

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 3
    else
        tcp_open "$PG_HOST" "$PG_PORT"
    fi
}

wait_for_pg() {
    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        pg_ready && return 0
        sleep 1
    done
    return 1
}

start_local_postgres() {
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        log "postgres: installing (apt)"
        apt_install postgresql
    fi

    local versions
    versions="$(ls /etc/postgresql 2>/dev/null || true)"
    if [ -z "$versions" ]; then
        # Server installed but no cluster (e.g. removed): create the default one.
        local ver
        ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)"
        log "postgres: creating cluster $ver/main"
        as_root pg_createcluster "$ver" main
        versions="$ver"
    fi

    local ver
    for ver in $versions; do
        [ -d "/etc/postgresql/$ver/main" ] || continue
        log "postgres: starting cluster $ver/main"
        # Exit code 2 means "already running": fine, we wait for readiness below.
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    done
}

# Run SQL from stdin as a PostgreSQL superuser. Over TCP as "postgres" first (trust auth on
# this kind of machine; -w never prompts), else over the socket as the postgres OS user
# (peer auth on a fresh Debian install).
PG_SUPER=""
pick_pg_superuser() {
    if psql -X -w -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        PG_SUPER=tcp
    elif (cd / && as_root runuser -u postgres -- psql -X -w -q -p "$PG_PORT" -d postgres -Atc 'select 1') >/dev/null 2>&1; then
        PG_SUPER=peer
    else
        die "postgres: cannot connect as a superuser (tried -h $PG_HOST -U postgres and runuser -u postgres)"
    fi
}

pg_super_psql() {
    if [ "$PG_SUPER" = tcp ]; then
        psql -X -w -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
    else
        (cd / && as_root runuser -u postgres -- psql -X -w -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@")
    fi
}

ensure_pg_role_and_db() {
    pick_pg_superuser
    # psql variables are quoted by format(%I / %L), so any name or password is safe.
    # \gexec runs each generated statement on its own (CREATE DATABASE cannot run in a
    # transaction block). CREATEDB: pytest-django creates test_<db> and test_<db>_gwN.
    pg_super_psql -v role="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
WHERE :'role' <> 'postgres'
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'role')
\gexec
SQL
}

if is_local_host "$PG_HOST"; then
    if ! pg_ready; then
        start_local_postgres
        wait_for_pg || die "postgres: not ready on $PG_HOST:$PG_PORT after ${WAIT_SECONDS}s"
    fi
    ensure_pg_role_and_db
    log "postgres: ready ($PG_USER@$PG_HOST:$PG_PORT/$PG_DB)"
else
    log "postgres: waiting for remote $PG_HOST:$PG_PORT"
    wait_for_pg || die "postgres: $PG_HOST:$PG_PORT not ready after ${WAIT_SECONDS}s"
    log "postgres: ready ($PG_HOST:$PG_PORT)"
fi

# --------------------------------------------------------------------- Redis

IFS=$'\x1f' read -r REDIS_SCHEME REDIS_HOST REDIS_PORT _ _ _ < <(parse_url "$REDIS_URL") || true
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${REDIS_PORT:-6379}"
[ "$REDIS_HOST" = "localhost" ] && REDIS_HOST=127.0.0.1

redis_ready() {
    if command -v redis-cli >/dev/null 2>&1; then
        local reply
        if [ "$REDIS_SCHEME" = "rediss" ] || ! is_local_host "$REDIS_HOST"; then
            reply="$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>/dev/null || true)"
        else
            reply="$(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)"
        fi
        [ "$reply" = "PONG" ]
    else
        tcp_open "$REDIS_HOST" "$REDIS_PORT"
    fi
}

wait_for_redis() {
    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        redis_ready && return 0
        sleep 1
    done
    return 1
}

start_local_redis() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        log "redis: installing (apt)"
        apt_install redis-server redis-tools
    fi
    as_root mkdir -p /var/lib/redis /var/log/redis
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    # "-::1": also listen on IPv6 loopback when available ("-" = don't fail if not).
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/aims.log
}

if is_local_host "$REDIS_HOST"; then
    if ! redis_ready; then
        start_local_redis
        wait_for_redis || die "redis: no PONG from $REDIS_HOST:$REDIS_PORT after ${WAIT_SECONDS}s"
    fi
    log "redis: ready ($REDIS_HOST:$REDIS_PORT)"
else
    log "redis: waiting for remote $REDIS_HOST:$REDIS_PORT"
    wait_for_redis || die "redis: $REDIS_HOST:$REDIS_PORT not ready after ${WAIT_SECONDS}s"
    log "redis: ready ($REDIS_HOST:$REDIS_PORT)"
fi
