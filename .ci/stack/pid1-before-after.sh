#!/usr/bin/env bash
# Usage: DOCKER_HOST=... .ci/stack/pid1-before-after.sh [SECONDS]
#
# Issue 20's crash, before and after: the postgres image (minitwit-postgres:local, built) run twice with
# WAL archiving failing (no stanza), writes and a WAL switch every second for SECONDS (default 90):
# first with the server as PID 1 (the entrypoint without tini, as before), then as the image runs it
# (tini as PID 1). Prints, for each, the writes that succeeded and failed and the crash-recovery resets
# in the server's log. Not a CI step (it shows the old behaviour); the figures are in docs/deploy.md.
set -euo pipefail
SECONDS_EACH=${1:-90}
run() {
  local name=$1 ok=0 failed=0 end
  shift
  docker rm -f "$name" > /dev/null 2>&1 || true
  docker run -d --name "$name" -e POSTGRES_PASSWORD=x "$@" minitwit-postgres:local postgres -c wal_level=replica \
    -c archive_mode=on -c 'archive_command=pgbackrest --stanza=minitwit archive-push %p' -c archive_timeout=60 > /dev/null
  for _ in $(seq 60); do docker exec "$name" pg_isready -q -U postgres && break; sleep 1; done
  sleep 3
  end=$(($(date +%s) + SECONDS_EACH))
  while [ "$(date +%s)" -lt "$end" ]; do
    if docker exec "$name" psql -U postgres -qAtc \
      'CREATE TABLE IF NOT EXISTS t (n int); INSERT INTO t SELECT generate_series(1, 20000); SELECT pg_switch_wal()' \
      > /dev/null 2>&1; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    sleep 1
  done
  echo "$name: PID 1 is $(docker exec "$name" cat /proc/1/comm); writes ok $ok, failed $failed;" \
    "crash-recovery resets $(docker logs "$name" 2>&1 | grep -c 'terminating any other active server processes')"
  docker rm -f "$name" > /dev/null
}
run postgres-as-pid1 --entrypoint minitwit-postgres-entrypoint
run postgres-under-tini
