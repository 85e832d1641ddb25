#!/usr/bin/env bash
# Reads PGBACKREST_*_FILE variables (Docker secrets) into PGBACKREST_* for pgBackRest, then hands over
# to the official image's entrypoint (or runs the given command, e.g. minitwit-pgbackrest-schedule).
set -euo pipefail
while IFS='=' read -r name file; do
  [ -n "$file" ] || continue
  export "${name%_FILE}=$(cat "$file")"
  unset "$name"
done < <(env | grep -E '^PGBACKREST_[A-Z0-9_]+_FILE=' || true)
case ${1:-} in
  postgres | -*) exec docker-entrypoint.sh "$@" ;;
  *) exec "$@" ;;
esac
