#!/usr/bin/env bash
# Base backups for point-in-time recovery: run as the `pgbackrest` service (same image as postgres, same
# data volume, repository volume and socket). Creates the stanza if needed, then a full backup every
# Sunday and a differential one every other day, at BACKUP_HOUR UTC (default 2); the WAL in between is
# archived continuously by the server itself.
set -euo pipefail
STANZA=${PGBACKREST_STANZA:-minitwit}
HOUR=${BACKUP_HOUR:-2}
until pg_isready -q -h /var/run/postgresql; do sleep 2; done
pgbackrest --stanza="$STANZA" stanza-create
pgbackrest --stanza="$STANZA" check
while true; do
  type="diff"
  [ "$(date -u +%u)" = 7 ] && type=full
  echo "$(date -u +%FT%TZ) pgbackrest $type backup"
  pgbackrest --stanza="$STANZA" --type="$type" backup || echo "$(date -u +%FT%TZ) pgbackrest $type backup FAILED" >&2
  now=$(date -u +%s)
  next=$(date -u -d "tomorrow $HOUR:00" +%s)
  [ "$(date -u -d "today $HOUR:00" +%s)" -gt "$now" ] && next=$(date -u -d "today $HOUR:00" +%s)
  sleep $((next - now))
done
