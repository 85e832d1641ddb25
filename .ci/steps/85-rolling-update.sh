#!/usr/bin/env bash
# The rolling update with real processes: replicas replaced under load behind nginx, then a SIGKILL and a cut link.
# scripts/deploy/rolling-update.sh: three test hosts as network namespaces, an API replica each, nginx as
# the routing mesh, the course's scenario (or, without it, a generated one) replayed through it while the
# replicas are replaced one at a time (start-first); zero errors, no acknowledged write lost. Then a
# SIGKILL and a cut link, their cost reported. Needs root (namespaces), installs nginx; the replicas reach
# PostgreSQL through its unix socket (PG_SOCKET_DIR, default /var/run/postgresql).
source "$(dirname "$0")/../lib.sh"
started=$(date +%s)
[ "$(id -u)" -eq 0 ] || { echo "rolling-update: run as root (it makes network namespaces)" >&2; exit 2; }
command -v nginx > /dev/null || ensure_packages nginx
ensure_packages iproute2 curl postgresql-client procps
ensure_postgres
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
SCENARIO="$SHARED/data/minitwit_scenario.csv"
if [ ! -f "$SCENARIO" ]; then
  # Without the course's scenario (CircleCI), one of the same shape from the scenario tool.
  SCENARIO=$(mktemp /tmp/minitwit-scenario.XXXXXX)
  trap 'rm -f "$SCENARIO"' EXIT
  node dist/scripts/minitwit.js scenario --actions 10000 --users 300 --seed rolling-update --out "$SCENARIO"
fi
scripts/deploy/rolling-update.sh --csv "$SCENARIO" --limit "${ROLLING_LIMIT:-10000}" --fault-limit "${FAULT_LIMIT:-5000}"
echo "rolling-update step: $(($(date +%s) - started)) s"
