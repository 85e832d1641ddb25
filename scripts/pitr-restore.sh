#!/usr/bin/env bash
# Point-in-time recovery with pgBackRest: restores a stopped PostgreSQL's data directory to a given time.
set -euo pipefail

usage() {
  cat << 'USAGE'
Usage: scripts/pitr-restore.sh --time TIME [--stanza NAME] [--config FILE] [--pgdata DIR]

Restores the PostgreSQL data directory to its state at TIME, from the pgBackRest repository that continuous
WAL archiving fills (deploy/postgres/): the newest backup taken before TIME is restored, then the archived
WAL is replayed up to TIME, and the server is promoted when it starts. Transactions committed after TIME are
gone from the restored database (they stay in the repository: a later TIME can still be chosen).

  --time TIME     e.g. '2026-11-28 09:15:00+00' (give the zone; PostgreSQL parses it)
  --stanza NAME   pgBackRest stanza (default: minitwit)
  --config FILE   pgBackRest configuration (default: pgBackRest's own, /etc/pgbackrest/pgbackrest.conf)
  --pgdata DIR    the data directory (default: pg1-path of the configuration)

PostgreSQL must be stopped first; start it afterwards and it replays to TIME, then accepts writes.
  compose: docker compose stop postgres minitwit-web minitwit-api
           docker compose run --rm --no-deps postgres minitwit-pitr-restore --time '...'
           docker compose up -d
Run as the postgres user (as root, the script switches to it).
Exit status: 0 restored, 1 pgBackRest failed, 2 bad input (no time, a running server).
USAGE
}

fail_usage() {
  echo "pitr-restore: $1" >&2
  exit 2
}

original=("$@")
target="" stanza=minitwit config="" pgdata=""
while [ $# -gt 0 ]; do
  case $1 in
    --time) target=${2:-}; shift 2 || fail_usage "--time needs a value" ;;
    --stanza) stanza=${2:-}; shift 2 || fail_usage "--stanza needs a value" ;;
    --config) config=${2:-}; shift 2 || fail_usage "--config needs a value" ;;
    --pgdata) pgdata=${2:-}; shift 2 || fail_usage "--pgdata needs a value" ;;
    -h | --help) usage; exit 0 ;;
    *) fail_usage "unknown argument $1 (see --help)" ;;
  esac
done
[ -n "$target" ] || fail_usage "give --time (see --help)"
date -d "$target" > /dev/null 2>&1 || fail_usage "--time '$target' is not a time"
command -v pgbackrest > /dev/null || fail_usage "pgbackrest is not installed (Debian: apt-get install pgbackrest)"

args=(--stanza="$stanza")
[ -n "$config" ] && args+=(--config="$config")
[ -n "$pgdata" ] && args+=(--pg1-path="$pgdata")

if [ "$(id -u)" -eq 0 ]; then
  exec runuser -u postgres -- "$0" "${original[@]}"
fi

data=${pgdata:-$(pgbackrest "${args[@]}" help restore pg1-path 2> /dev/null | sed -n 's/^current: //p')}
if [ -n "$data" ] && [ -f "$data/postmaster.pid" ] && kill -0 "$(head -1 "$data/postmaster.pid")" 2> /dev/null; then
  fail_usage "PostgreSQL is running on $data: stop it first"
fi

echo "restoring stanza $stanza to $target"
started=$(date +%s)
pgbackrest "${args[@]}" --delta --type=time --target="$target" --target-action=promote \
  --log-level-console=info restore || { echo "pitr-restore: pgBackRest failed (above)" >&2; exit 1; }
echo "restored in $(($(date +%s) - started)) s; start PostgreSQL: it replays the WAL up to $target, then accepts writes"
