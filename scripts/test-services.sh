#!/usr/bin/env bash
# Makes PostgreSQL 15 and Redis available on loopback for the test suites, and installs
# Debian's Chromium for the browser tests (packages/server/test/browser/).
# Works on a fresh Debian 12 machine and on an already-prepared one (idempotent).
#
#   eval "$(scripts/test-services.sh)"
#
# Progress goes to stderr; stdout carries only the three `export` lines.
set -euo pipefail

PG_MAJOR=15
PG_CLUSTER=main
PG_PORT=5432
DB_USER=portcullis
DB_PASSWORD=portcullis
DB_NAME=portcullis_test
REDIS_PORT=6379
CHROMIUM=/usr/bin/chromium
WAIT_SECONDS=30

log() { printf 'test-services: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Root runs things directly; anyone else needs sudo.
if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
  as_postgres() { runuser -u postgres -- "$@"; }
else
  command -v sudo >/dev/null || die "not root and sudo is not available"
  as_root() { sudo "$@"; }
  as_postgres() { sudo -u postgres "$@"; }
fi

# --- packages ----------------------------------------------------------------
missing=()
if ! command -v pg_ctlcluster >/dev/null || [ ! -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ]; then
  missing+=(postgresql)
fi
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  missing+=(redis-server)
fi
# Debian's build, not Playwright's download: this machine reaches only the npm and Debian registries.
if [ ! -x "$CHROMIUM" ]; then
  missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} with apt"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" ] || die "PostgreSQL $PG_MAJOR is not available after installing postgresql"
  [ -x "$CHROMIUM" ] || die "$CHROMIUM is not available after installing chromium"
fi

# --- PostgreSQL --------------------------------------------------------------
if ! pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster $PG_MAJOR/$PG_CLUSTER on port $PG_PORT"
  as_root pg_createcluster --port "$PG_PORT" "$PG_MAJOR" "$PG_CLUSTER" >&2
fi
cluster_port=$(pg_lsclusters -h | awk -v v="$PG_MAJOR" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $3 }')
[ "$cluster_port" = "$PG_PORT" ] || die "cluster $PG_MAJOR/$PG_CLUSTER is configured for port $cluster_port, expected $PG_PORT"

if as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" status >/dev/null 2>&1; then
  log "PostgreSQL $PG_MAJOR/$PG_CLUSTER already running"
else
  log "starting PostgreSQL $PG_MAJOR/$PG_CLUSTER"
  as_root pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" start >&2
fi

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }
deadline=$((SECONDS + WAIT_SECONDS))
until pg_up; do
  [ "$SECONDS" -lt "$deadline" ] ||
    die "PostgreSQL did not accept connections on 127.0.0.1:$PG_PORT within ${WAIT_SECONDS}s (see /var/log/postgresql/postgresql-$PG_MAJOR-$PG_CLUSTER.log)"
  sleep 0.5
done

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" = 1 ]; then
  log "role $DB_USER exists; ensuring LOGIN, CREATEDB and password"
  psql_admin -c "ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >&2
else
  log "creating role $DB_USER"
  psql_admin -c "CREATE ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASSWORD'" >&2
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" = 1 ]; then
  log "database $DB_NAME exists; ensuring owner $DB_USER"
  psql_admin -c "ALTER DATABASE $DB_NAME OWNER TO $DB_USER" >&2
else
  log "creating database $DB_NAME owned by $DB_USER"
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

# --- Redis -------------------------------------------------------------------
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
if redis_up; then
  log "Redis already answering on 127.0.0.1:$REDIS_PORT"
else
  log "starting redis-server on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' >&2
fi

# --- wait for both -----------------------------------------------------------
pg_login() { PGPASSWORD=$DB_PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null 2>&1; }
deadline=$((SECONDS + WAIT_SECONDS))
until pg_login && redis_up; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    pg_login || die "cannot log in to postgres://$DB_USER@127.0.0.1:$PG_PORT/$DB_NAME within ${WAIT_SECONDS}s"
    die "Redis does not answer PING on 127.0.0.1:$REDIS_PORT within ${WAIT_SECONDS}s"
  fi
  sleep 0.5
done
log "PostgreSQL and Redis are ready"

echo "export PORTCULLIS_TEST_POSTGRES_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PG_PORT/$DB_NAME"
echo "export PORTCULLIS_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
echo "export PORTCULLIS_TEST_CHROMIUM=$CHROMIUM"
