#!/usr/bin/env bash
# The database stopped and crashed under a replay (throwaway cluster): 503s meanwhile, recovery by itself, no acknowledged write lost.
# minitwit drill outage (scripts/drill/outage-drill.ts): initdb into a temporary directory, a server on
# OUTAGE_PORT (default 25433), the web and API roles from dist/ on it, the course's scenario replayed with
# every write's outcome logged; meanwhile `pg_ctl stop -m fast` and later `-m immediate`, each for a few
# seconds. Never the machine's shared server. Needs $SHARED_DIR/data/minitwit_scenario.csv, and root (the
# cluster runs as the postgres user; PostgreSQL's server is installed when missing).
source "$(dirname "$0")/../lib.sh"
SCENARIO="$SHARED/data/minitwit_scenario.csv"
if [ ! -f "$SCENARIO" ]; then
  echo "no $SCENARIO: skipping the database outage drill"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "database-outage: run as root (it creates a PostgreSQL cluster)" >&2; exit 2; }
# A server installed here only for this drill gets no `main` cluster (CI may run one on 5432 already).
if ! dpkg-query -W -f='${Status}' postgresql 2> /dev/null | grep -q 'install ok installed' \
  && [ ! -f /etc/postgresql-common/createcluster.conf ]; then
  mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
fi
ensure_packages postgresql
npm run build --silent
node dist/scripts/minitwit.js drill outage --csv "$SCENARIO" --port "${OUTAGE_PORT:-25433}"
