#!/usr/bin/env bash
# Point-in-time recovery with pgBackRest, drilled on a throwaway cluster: A kept, B (after the time) gone.
# Never the machine's shared cluster: continuous WAL archiving to a pgBackRest repository, a full backup,
# write A, note the time, write B, restore to the noted time with scripts/pitr-restore.sh: A is there, B is
# not, and the server takes writes again. Needs root (it creates and drops the cluster on PITR_PORT,
# default 26432) and installs PostgreSQL's server and pgbackrest when missing.
source "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "pitr-drill: run as root (it creates a PostgreSQL cluster)" >&2; exit 2; }

PORT=${PITR_PORT:-26432}
# A server installed here only for this drill gets no `main` cluster (CI may run one on 5432 already).
if ! dpkg-query -W -f='${Status}' postgresql 2> /dev/null | grep -q 'install ok installed' \
  && [ ! -f /etc/postgresql-common/createcluster.conf ]; then
  mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
fi
ensure_packages postgresql pgbackrest bc
# The newest server installed (a newer client alone, e.g. for pg_dump, has no bin/postgres).
VERSION=$(find /usr/lib/postgresql -path '*/bin/postgres' -printf '%h\n' | cut -d/ -f5 | sort -V | tail -1)
CLUSTER="minitwit_pitr_$$"
WORK=$(mktemp -d /tmp/minitwit-pitr.XXXXXX)
CONFIG="$WORK/pgbackrest.conf"
DATA="/var/lib/postgresql/$VERSION/$CLUSTER"
URL="postgres://postgres@127.0.0.1:$PORT/minitwit"
phase_started=0
phase() { phase_started=$(date +%s.%N); printf -- '-- %s\n' "$*"; }
took() { printf '   %.1f s\n' "$(echo "$(date +%s.%N) - $phase_started" | bc)"; }
as_postgres() { runuser -u postgres -- "$@"; }
sql() { psql "$URL" -v ON_ERROR_STOP=1 -Atqc "$1"; }

cleanup() {
  pg_dropcluster --stop "$VERSION" "$CLUSTER" 2> /dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

npm run build --silent

phase "a throwaway PostgreSQL $VERSION cluster on port $PORT, archiving its WAL with pgBackRest"
mkdir -p "$WORK/repo" "$WORK/log" "$WORK/lock"
# The same settings as deploy/postgres/pgbackrest.conf, with this drill's paths.
cat > "$CONFIG" << CONF
[global]
repo1-path=$WORK/repo
repo1-retention-full=2
log-path=$WORK/log
lock-path=$WORK/lock
log-level-console=warn
start-fast=y
archive-async=n

[minitwit]
pg1-path=$DATA
pg1-port=$PORT
pg1-socket-path=/var/run/postgresql
CONF
chown -R postgres:postgres "$WORK"
pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth=trust > /dev/null
cat > "/etc/postgresql/$VERSION/$CLUSTER/conf.d/archiving.conf" << CONF
listen_addresses = '127.0.0.1'
wal_level = replica
archive_mode = on
archive_command = 'pgbackrest --config=$CONFIG --stanza=minitwit archive-push %p'
CONF
pg_ctlcluster "$VERSION" "$CLUSTER" start
as_postgres createdb -p "$PORT" minitwit
as_postgres pgbackrest --config="$CONFIG" --stanza=minitwit stanza-create
as_postgres pgbackrest --config="$CONFIG" --stanza=minitwit check
DATABASE_URL=$URL node dist/scripts/minitwit.js migrate > /dev/null
took

phase "full backup (pgbackrest backup --type=full)"
as_postgres pgbackrest --config="$CONFIG" --stanza=minitwit --type=full backup
took

phase "write A, note the time, write B"
sql "INSERT INTO users (username, email, pw_hash) VALUES ('pitr A', 'a@example.com', 'x')"
sql "INSERT INTO messages (author_id, text) SELECT user_id, 'message A, before the target' FROM users WHERE username = 'pitr A'"
sleep 1
TARGET=$(sql "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1
sql "INSERT INTO users (username, email, pw_hash) VALUES ('pitr B', 'b@example.com', 'x')"
sql "INSERT INTO messages (author_id, text) SELECT user_id, 'message B, after the target' FROM users WHERE username = 'pitr B'"
# B's WAL must be archived too (a restore must stop before it, not merely lack it).
WAL=$(sql "SELECT pg_walfile_name(pg_current_wal_lsn())")
sql "SELECT pg_switch_wal()" > /dev/null
for _ in $(seq 60); do
  [ "$(sql "SELECT last_archived_wal >= '$WAL' FROM pg_stat_archiver")" = t ] && break
  sleep 0.5
done
[ "$(sql "SELECT last_archived_wal >= '$WAL' FROM pg_stat_archiver")" = t ] || { echo "DRILL FAILED: WAL $WAL not archived"; exit 1; }
echo "   target time: $TARGET (A before it, B after it; WAL archived up to $WAL)"
took

phase "stop PostgreSQL, restore to the target time (scripts/pitr-restore.sh), start it"
pg_ctlcluster "$VERSION" "$CLUSTER" stop
# Refuses while the server runs; here it is stopped.
scripts/pitr-restore.sh --config "$CONFIG" --stanza minitwit --time "$TARGET"
pg_ctlcluster "$VERSION" "$CLUSTER" start
for _ in $(seq 120); do
  [ "$(psql "$URL" -Atqc 'SELECT NOT pg_is_in_recovery()' 2> /dev/null)" = t ] && break
  sleep 0.5
done
took

phase "check: A present, B absent, writes accepted"
a=$(sql "SELECT count(*) FROM messages WHERE text = 'message A, before the target'")
b=$(sql "SELECT count(*) FROM users WHERE username = 'pitr B'")
[ "$a" = 1 ] || { echo "DRILL FAILED: message A missing after the restore"; exit 1; }
echo "   ok: A is there"
[ "$b" = 0 ] || { echo "DRILL FAILED: user B (written after the target) is there"; exit 1; }
echo "   ok: B is not"
sql "INSERT INTO messages (author_id, text) SELECT user_id, 'after the recovery' FROM users WHERE username = 'pitr A'"
echo "   ok: the recovered server accepts writes"
echo "PITR drill passed"
