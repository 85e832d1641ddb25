#!/usr/bin/env bash
# The backup drills on the PostgreSQL server (each in databases of its own, dropped after):
#   restore   the course's scenario replayed into a fresh database while a backup is taken, a backup after,
#             the database dropped and restored: rows and digests per table, pages, API, an old password
#   embedded  the embedded database moved onto the server by backup and restore: the same pages and API
#             replies; and back into PGlite
# Needs ../shared/data/minitwit_scenario.csv (SHARED_DIR) and pg_dump on the machine.
#   bash scripts/ci/backup-drills.sh [restore] [embedded]
set -euo pipefail
cd "$(dirname "$0")/../.."
SCENARIO="${SHARED_DIR:-../shared}/data/minitwit_scenario.csv"
PG_ADMIN_URL="${CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}/postgres"
if [ ! -f "$SCENARIO" ]; then
  echo "no $SCENARIO: skipping the backup drills"
  exit 0
fi
command -v pg_dump > /dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-client > /dev/null
}
npm run build --silent
drills=("$@")
[ ${#drills[@]} -gt 0 ] || drills=(restore embedded)
for drill in "${drills[@]}"; do
  printf '\n== backup drill: %s\n' "$drill"
  node dist/scripts/drill.js "$drill" --csv "$SCENARIO" --pg "$PG_ADMIN_URL"
done
