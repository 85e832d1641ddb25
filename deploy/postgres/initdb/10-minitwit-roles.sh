#!/usr/bin/env bash
# First boot only (/docker-entrypoint-initdb.d, run by the image's entrypoint as the superuser): MiniTwit's
# roles, from minitwit-roles.sql. Passwords from files (compose and swarm secrets):
#   MINITWIT_OWNER_PASSWORD_FILE, MINITWIT_APP_PASSWORD_FILE, MINITWIT_MONITOR_PASSWORD_FILE
# Names: MINITWIT_OWNER (default minitwit), MINITWIT_APP (minitwit_app), MINITWIT_MONITOR
# (minitwit_monitor); the database is POSTGRES_DB.
set -euo pipefail
secret() {
  local file="${1}_FILE"
  if [ -z "${!file:-}" ] || [ ! -r "${!file}" ]; then
    echo "10-minitwit-roles: set $file (a readable file)" >&2
    exit 1
  fi
  tr -d '\n' < "${!file}"
}
psql -v ON_ERROR_STOP=1 --no-psqlrc -q -d "$POSTGRES_DB" \
  -v owner="${MINITWIT_OWNER:-minitwit}" -v app="${MINITWIT_APP:-minitwit_app}" \
  -v monitor="${MINITWIT_MONITOR:-minitwit_monitor}" -v database="$POSTGRES_DB" \
  -v owner_password="$(secret MINITWIT_OWNER_PASSWORD)" -v app_password="$(secret MINITWIT_APP_PASSWORD)" \
  -v monitor_password="$(secret MINITWIT_MONITOR_PASSWORD)" \
  -f /usr/local/share/minitwit/minitwit-roles.sql
echo "10-minitwit-roles: roles ${MINITWIT_OWNER:-minitwit} (owner), ${MINITWIT_APP:-minitwit_app} (rows), ${MINITWIT_MONITOR:-minitwit_monitor} (pg_monitor)"
