#!/usr/bin/env bash
# Base backups for point-in-time recovery: run as the `pgbackrest` service (same image as postgres, same
# data volume, repository volume and socket). Creates the stanza if needed (pgBackRest connects as
# pg1-user, PGBACKREST_PG1_USER, over the socket), checks that WAL archiving works, then takes a full
# backup every Sunday and a differential one every other day, at BACKUP_HOUR UTC (default 2); the WAL in
# between is archived continuously by the server itself. Each backup goes to every repository configured
# (repo1, the volume, and repo2, off-site: one `pgbackrest backup` writes to one repository only, repo1
# unless --repo says otherwise). A repository without a full backup gets one at once, so point-in-time
# recovery works from the first day, from either.
#
# For Prometheus (node-exporter's textfile collector, METRICS_DIR): the newest backup's time and the
# newest archived WAL, refreshed every minute (MinitwitBaseBackupTooOld). /tmp/minitwit-stanza-ready
# marks the service healthy once the stanza exists and `check` archived a segment.
set -euo pipefail
STANZA=${PGBACKREST_STANZA:-minitwit}
HOUR=${BACKUP_HOUR:-2}
METRICS_DIR=${METRICS_DIR:-/var/lib/pgbackrest-metrics}
READY=/tmp/minitwit-stanza-ready
rm -f "$READY"

until pg_isready -q -h /var/run/postgresql; do sleep 2; done
pgbackrest --stanza="$STANZA" stanza-create
pgbackrest --stanza="$STANZA" check
touch "$READY"

# The newest backup's stop time and the newest archived WAL segment's, from `pgbackrest info`, as metrics.
write_metrics() {
  [ -d "$METRICS_DIR" ] && [ -w "$METRICS_DIR" ] || return 0
  local info
  info=$(pgbackrest --stanza="$STANZA" --output=json info 2> /dev/null) || return 0
  printf '%s' "$info" | jq -r '.[0] as $s
    | "# HELP minitwit_pgbackrest_last_backup_timestamp_seconds When the newest pgBackRest backup of each type finished (0: none).",
      "# TYPE minitwit_pgbackrest_last_backup_timestamp_seconds gauge",
      (("full", "diff", "incr") as $t
        | "minitwit_pgbackrest_last_backup_timestamp_seconds{stanza=\"\($s.name)\",type=\"\($t)\"} \([$s.backup[]? | select(.type == $t) | .timestamp.stop] | max // 0)"),
      "# HELP minitwit_pgbackrest_stanza_ok 1 when pgBackRest reports the stanza ok.",
      "# TYPE minitwit_pgbackrest_stanza_ok gauge",
      "minitwit_pgbackrest_stanza_ok{stanza=\"\($s.name)\"} \(if $s.status.code == 0 then 1 else 0 end)"' \
    > "$METRICS_DIR/.pgbackrest.prom.tmp" && mv "$METRICS_DIR/.pgbackrest.prom.tmp" "$METRICS_DIR/pgbackrest.prom"
}

# The repositories configured (their keys: 1, 2).
repositories() { pgbackrest --stanza="$STANZA" --output=json info | jq -r '.[0].repo[].key'; }
has_full_backup() {
  pgbackrest --stanza="$STANZA" --output=json info \
    | jq -e --argjson repo "$1" 'any(.[0].backup[]?; .type == "full" and .database["repo-key"] == $repo)' > /dev/null
}

# `backup TYPE REPO`
backup() {
  echo "$(date -u +%FT%TZ) pgbackrest $1 backup to repo$2"
  pgbackrest --stanza="$STANZA" --repo="$2" --type="$1" backup \
    || echo "$(date -u +%FT%TZ) pgbackrest $1 backup to repo$2 FAILED" >&2
  write_metrics
}

next_backup_time() {
  local now today
  now=$(date -u +%s)
  today=$(date -u -d "today $HOUR:00" +%s)
  if [ "$today" -gt "$now" ]; then echo "$today"; else date -u -d "tomorrow $HOUR:00" +%s; fi
}

write_metrics
for repo in $(repositories); do
  has_full_backup "$repo" || backup full "$repo"
done
next=$(next_backup_time)
while true; do
  if [ "$(date -u +%s)" -ge "$next" ]; then
    type='diff'
    [ "$(date -u +%u)" = 7 ] && type=full
    for repo in $(repositories); do backup "$type" "$repo"; done
    next=$(next_backup_time)
  fi
  write_metrics
  sleep 60
done
