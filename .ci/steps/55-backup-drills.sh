#!/usr/bin/env bash
# Backup drills: the scenario backed up while replayed, dropped, restored, checked; embedded to server and back.
#   restore   the course's scenario replayed into a fresh database while a backup is taken, a backup after,
#             the database dropped and restored: rows and digests per table, pages, API, an old password
#   embedded  the embedded database moved onto the server by backup and restore: the same pages and API
#             replies; then the server's backup restored into a new PGlite, every table equal
# Each drill makes its own databases and drops them. Needs $SHARED_DIR/data/minitwit_scenario.csv.
source "$(dirname "$0")/../lib.sh"
SCENARIO="$SHARED/data/minitwit_scenario.csv"
if [ ! -f "$SCENARIO" ]; then
  echo "no $SCENARIO: skipping the backup drills"
  exit 0
fi
ensure_postgres
command -v pg_dump > /dev/null || ensure_packages postgresql-client
# pg_dump refuses a server newer than itself: bring the server's own major version when Debian's is older.
server_major=$(psql "$PGHOST_URL/postgres" -Atc 'SHOW server_version_num' | cut -c1-2)
dump_major=$(pg_dump --version | grep -oE '[0-9]+' | head -1)
if [ "$dump_major" -lt "$server_major" ]; then
  ensure_packages postgresql-common
  /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y > /dev/null
  ensure_packages "postgresql-client-$server_major"
  export PG_DUMP="/usr/lib/postgresql/$server_major/bin/pg_dump"
fi
npm run build --silent
# The drills' backups are signed, as production's: restore refuses an unsigned one (docs/backup.md).
BACKUP_SIGNING_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export BACKUP_SIGNING_KEY
for drill in restore embedded; do
  printf '\n== backup drill: %s\n' "$drill"
  node dist/scripts/minitwit.js drill "$drill" --csv "$SCENARIO" --pg "$PGHOST_URL/postgres"
done
