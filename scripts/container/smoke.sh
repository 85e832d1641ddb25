#!/usr/bin/env bash
# Usage: scripts/container/smoke.sh [--image NAME] [--pg URL] [--actions N]
#
# Runs the built image (default $MINITWIT_IMAGE or localhost/minitwit:ci) as an engine runs it: its own
# command (entrypoint + cmd) as its own user, on the host network; without a Docker engine with buildah
# (`buildah from` + `buildah run`, chroot isolation), else with `docker run`. Checks:
#   1. role all on the embedded database (DATA_DIR=/data): ports 25000/25001;
#   2. roles web and api as two containers on one throwaway database (made and dropped here) on the
#      PostgreSQL server --pg (default $CI_POSTGRES_URL or postgres://postgres@127.0.0.1:5432; with
#      docker and no --pg, a throwaway postgres container on 127.0.0.1:25432): ports 25010/25011, as a
#      swarm runs them: DATABASE_URL, SESSION_SECRET and a non-default SIMULATOR_PASSWORD as files
#      under /run/secrets (*_FILE), SHUTDOWN_DRAIN_MS=2000 (after SIGTERM, /readyz must say 503 while
#      the process still serves).
# Each time: /healthz and /readyz on every port, a web page (/public), the image's HEALTHCHECK, a replay
# of a generated scenario (N actions, default 300) with its /latest and end-state checks, that the
# process runs as a non-root user, that SIGTERM makes it exit 0; then prints the image's size.
# With buildah it needs root and the host's `npm run build` (replay and scenario tools); with docker the
# image's own copies of those tools run.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

PG_URL=${CI_POSTGRES_URL:-}
ACTIONS=300
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --image) IMAGE=${2:?--image needs a name}; shift ;;
    --pg) PG_URL=${2:?--pg needs a URL}; shift ;;
    --actions) ACTIONS=${2:?--actions needs a number}; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

ENGINE=$(container_engine)
cd "$REPO_ROOT"
WORK=$(mktemp -d /tmp/minitwit-smoke.XXXXXX)
chmod 755 "$WORK"
DB_NAME="minitwit_smoke_$(date +%s)_$$"
CONTAINERS=()
# When set, mounted read-only at /run/secrets in the containers started next.
SECRETS_DIR=""
OWN_POSTGRES=""

# --- the engine: start a container, find its process, run its healthcheck, stop it -----------------
if [ "$ENGINE" = docker ]; then
  docker image inspect "$IMAGE" > /dev/null || die "no image $IMAGE: run scripts/container/build.sh"
  image_config() { docker image inspect --format '{{json .Config}}' "$IMAGE"; }
  # engine_start NAME ENV...: runs the image's own command; sets HANDLE for the other functions.
  engine_start() {
    local name="minitwit-smoke-$1-$$" args=()
    shift
    for env in "$@"; do args+=(--env "$env"); done
    [ -z "$SECRETS_DIR" ] || args+=(--volume "$SECRETS_DIR:/run/secrets:ro")
    docker run --detach --name "$name" --network host "${args[@]}" "$IMAGE" > /dev/null
    CONTAINERS+=("$name")
    HANDLE=$name
  }
  engine_alive() { [ "$(docker inspect --format '{{.State.Running}}' "$1" 2> /dev/null)" = true ]; }
  engine_pid() { docker inspect --format '{{.State.Pid}}' "$1"; }
  engine_log() { docker logs "$1" 2>&1; }
  # The engine runs the HEALTHCHECK itself: wait for its verdict.
  engine_healthcheck() {
    local status
    for _ in $(seq 120); do
      status=$(docker inspect --format '{{.State.Health.Status}}' "$1")
      [ "$status" = healthy ] && return 0
      [ "$status" = unhealthy ] && return 1
      sleep 1
    done
    return 1
  }
  # As `docker stop` does: the image's STOPSIGNAL (SIGTERM) to PID 1, then wait; sets EXIT_STATUS.
  engine_signal() { docker kill --signal TERM "$1" > /dev/null; }
  engine_wait() { EXIT_STATUS=$(docker wait "$1"); }
  engine_cleanup() { for c in "${CONTAINERS[@]}" $OWN_POSTGRES; do docker rm -f -v "$c" > /dev/null 2>&1 || true; done; }
  # The image's own node and tools: the host may have neither Node.js nor a build.
  tool() { docker run --rm --network host --user "$(id -u):$(id -g)" -v "$WORK:$WORK" --entrypoint node "$IMAGE" "$@"; }
  jsnode() { docker run --rm -i --entrypoint node "$IMAGE" "$@"; }
  if [ -z "$PG_URL" ]; then
    OWN_POSTGRES="minitwit-smoke-postgres-$$"
    docker run --detach --name "$OWN_POSTGRES" --network host -e POSTGRES_HOST_AUTH_METHOD=trust \
      postgres:17.6-bookworm -c port=25432 -c listen_addresses=127.0.0.1 > /dev/null
    PG_URL=postgres://postgres@127.0.0.1:25432
    for _ in $(seq 60); do docker exec "$OWN_POSTGRES" pg_isready -q -p 25432 && break; sleep 1; done
  fi
  psql_admin() {
    if [ -n "$OWN_POSTGRES" ]; then docker exec "$OWN_POSTGRES" psql -p 25432 -U postgres -qc "$1"
    else psql "$PG_URL/postgres" -qc "$1"; fi
  }
else
  prepare_buildah
  [ -f dist/scripts/minitwit.js ] || die "dist/scripts/minitwit.js is missing: run npm run build first"
  bah inspect --type image "$IMAGE" > /dev/null 2>&1 || die "no image $IMAGE: run scripts/container/build.sh"
  PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
  image_config() {
    bah inspect --type image "$IMAGE" \
      | node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")).Docker.config))'
  }
  declare -A RUNNERS=() ENVS=()
  engine_start() {
    local name=$1 ctr args=()
    shift
    for env in "$@"; do args+=(--env "$env"); done
    [ -z "$SECRETS_DIR" ] || args+=(--volume "$SECRETS_DIR:/run/secrets:ro")
    ctr=$(bah from --pull=never --name "minitwit-smoke-$name-$$" "$IMAGE")
    CONTAINERS+=("$ctr")
    bah run --network host "${args[@]}" "$ctr" -- "${COMMAND[@]}" > "$WORK/$ctr.log" 2>&1 &
    RUNNERS[$ctr]=$!
    ENVS[$ctr]="$*"
    HANDLE=$ctr
  }
  engine_alive() { kill -0 "${RUNNERS[$1]}" 2> /dev/null; }
  # buildah run -> chroot -> the app: the first descendant whose command is node.
  descendant_node() {
    local parent=$1 child children=()
    read -r -a children <<< "$(cat /proc/"$parent"/task/*/children 2> /dev/null)"
    for child in "${children[@]}"; do
      # Node.js 24 names its main thread, and so the process's comm, MainThread; earlier ones left "node".
      case "$(cat /proc/"$child"/comm 2> /dev/null)" in node | MainThread) echo "$child"; return 0 ;; esac
      descendant_node "$child" && return 0
    done
    return 1
  }
  engine_pid() { descendant_node "${RUNNERS[$1]}"; }
  engine_log() { cat "$WORK/$1.log"; }
  # No engine to run it: run the image's HEALTHCHECK command once, in the container, as an engine would.
  engine_healthcheck() {
    local args=() env
    read -r -a env <<< "${ENVS[$1]}"
    for e in "${env[@]}"; do args+=(--env "$e"); done
    bah run --network host "${args[@]}" "$1" -- "${HEALTHCHECK[@]}"
  }
  # No PID namespace here, so the app is not PID 1: SIGTERM goes to it as `docker stop` would send it.
  engine_signal() { kill -TERM "$(engine_pid "$1")"; }
  engine_wait() {
    EXIT_STATUS=0
    wait "${RUNNERS[$1]}" || EXIT_STATUS=$?
  }
  engine_cleanup() {
    for c in "${CONTAINERS[@]}"; do kill "${RUNNERS[$c]}" 2> /dev/null || true; bah rm "$c" > /dev/null 2>&1 || true; done
  }
  tool() { nice -n 10 node "$@"; }
  jsnode() { node "$@"; }
  psql_admin() { psql "$PG_URL/postgres" -qc "$1"; }
fi

cleanup() {
  engine_cleanup
  [ -n "$OWN_POSTGRES" ] || psql_admin "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

image_field() {
  image_config | jsnode -e '
    const config = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const field = process.argv[1];
    const value = field === "command" ? [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])]
      : field === "healthcheck" ? (config.Healthcheck?.Test ?? []).slice(1)
      : config[field];
    process.stdout.write(Array.isArray(value) ? value.join("\n") : String(value ?? ""));' "$1"
}
mapfile -t COMMAND < <(image_field command)
mapfile -t HEALTHCHECK < <(image_field healthcheck)
[ ${#COMMAND[@]} -gt 0 ] || die "the image has no command"
[ ${#HEALTHCHECK[@]} -gt 0 ] || die "the image has no HEALTHCHECK (built in OCI format?)"
log "image $IMAGE ($ENGINE): user $(image_field User), command: ${COMMAND[*]}"

# --- the checks -------------------------------------------------------------------------------------
check_status() {
  local expected=$1 url=$2 got
  got=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "$url" || true)
  [ "$got" = "$expected" ] || die "GET $url: HTTP $got, expected $expected"
  log "  GET $url: $got"
}

# check_running HANDLE PORT...: healthy and ready on every port, not root, the image's HEALTHCHECK.
check_running() {
  local handle=$1 port pid uid up=false
  shift
  for port in "$@"; do
    for _ in $(seq 180); do
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2> /dev/null && { up=true; break; }
      engine_alive "$handle" || break
      sleep 0.5
    done
    $up || { engine_log "$handle" | tail -30 >&2; die "$handle did not start serving on port $port"; }
  done
  pid=$(engine_pid "$handle") || die "$handle: no node process found"
  uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
  [ "$uid" != 0 ] || die "$handle runs as root"
  log "$handle: node process $pid runs as uid $uid (the image's USER is $(image_field User)), not root"
  for port in "$@"; do
    check_status 200 "http://127.0.0.1:$port/healthz"
    check_status 200 "http://127.0.0.1:$port/readyz"
  done
  engine_healthcheck "$handle" || die "$handle: the image's HEALTHCHECK (${HEALTHCHECK[*]}) failed"
  log "  HEALTHCHECK (${HEALTHCHECK[*]}): healthy"
}

# stop_and_expect_0 HANDLE [PORT]: SIGTERM, then exit status 0. With PORT (a process started with a
# drain period), /readyz on it must answer 503 after the signal, while the process still serves.
stop_and_expect_0() {
  local handle=$1 port=${2:-} started code=""
  started=$(date +%s%N)
  engine_signal "$handle"
  if [ -n "$port" ]; then
    for _ in $(seq 20); do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/readyz" || true)
      [ "$code" = 503 ] && break
      sleep 0.1
    done
    [ "$code" = 503 ] || die "$handle: /readyz answered ${code:-nothing} while draining, expected 503"
    log "$handle: draining after SIGTERM: /readyz 503 after $((($(date +%s%N) - started) / 1000000)) ms"
  fi
  engine_wait "$handle"
  [ "$EXIT_STATUS" = 0 ] || { engine_log "$handle" | tail -20 >&2; die "$handle exited $EXIT_STATUS after SIGTERM"; }
  log "$handle: SIGTERM -> exit 0 in $((($(date +%s%N) - started) / 1000000)) ms"
  engine_log "$handle" | grep -q 'shutdown complete' || die "$handle: no 'shutdown complete' in its log"
}

# replay URL [replay options]
replay() {
  local url=$1
  shift
  tool dist/scripts/minitwit.js replay --url "$url" --csv "$WORK/scenario.csv" --concurrency 4 --timeout-ms 2000 --quiet "$@"
}

expect_public_timeline() {
  check_status 200 "$1/public"
  grep -q 'Public Timeline' "$WORK/body" || die "$1/public is not the public timeline"
}

tool dist/scripts/minitwit.js scenario --actions "$ACTIONS" --seed container-smoke --out "$WORK/scenario.csv"

log "1. role all on the embedded database"
engine_start all MINITWIT_ROLE=all PORT=25000 API_PORT=25001 METRICS_PORT=25002
all=$HANDLE
check_running "$all" 25000 25001
# Metrics only on the operations port (METRICS_PORT), not on the public ones.
check_status 200 http://127.0.0.1:25002/metrics
check_status 404 http://127.0.0.1:25001/metrics
expect_public_timeline http://127.0.0.1:25000
check_status 200 http://127.0.0.1:25001/latest
replay http://127.0.0.1:25001
stop_and_expect_0 "$all"

log "2. roles web and api, two containers, one database on the PostgreSQL server ($DB_NAME)"
psql_admin "CREATE DATABASE $DB_NAME" > /dev/null
SECRETS_DIR="$WORK/secrets"
mkdir -p "$SECRETS_DIR"
printf '%s\n' "$PG_URL/$DB_NAME" > "$SECRETS_DIR/database_url"
openssl rand -hex 32 > "$SECRETS_DIR/session_secret"
SIMULATOR_PASSWORD=$(openssl rand -hex 12)
printf '%s' "$SIMULATOR_PASSWORD" > "$SECRETS_DIR/simulator_password"
chmod 755 "$SECRETS_DIR" && chmod 444 "$SECRETS_DIR"/*
# With a server database both simulator credentials must be set (the app refuses to start otherwise).
SECRET_ENV=(DATABASE_URL_FILE=/run/secrets/database_url SESSION_SECRET_FILE=/run/secrets/session_secret
  SIMULATOR_USERNAME=simulator SIMULATOR_PASSWORD_FILE=/run/secrets/simulator_password SHUTDOWN_DRAIN_MS=2000)
engine_start api MINITWIT_ROLE=api API_PORT=25011 METRICS_PORT=25012 "${SECRET_ENV[@]}"
api=$HANDLE
engine_start web MINITWIT_ROLE=web PORT=25010 METRICS_PORT=25013 "${SECRET_ENV[@]}"
web=$HANDLE
SECRETS_DIR=""
check_running "$api" 25011
check_running "$web" 25010
code=$(curl -s -o /dev/null -w '%{http_code}' -u simulator:super_safe! "http://127.0.0.1:25011/msgs?no=1")
[ "$code" = 403 ] || die "the API took the default simulator password (HTTP $code): SIMULATOR_PASSWORD_FILE ignored?"
log "  the default simulator password is refused (403): the secret file's is in force"
replay http://127.0.0.1:25011 --password "$SIMULATOR_PASSWORD"
expect_public_timeline http://127.0.0.1:25010
# The web role shows what the api role wrote: one database.
user=$(awk -F'\t' '$4 == "register" { print $5; exit }' "$WORK/scenario.csv")
check_status 200 "http://127.0.0.1:25010/$(jsnode -p 'encodeURIComponent(process.argv[1])' "$user")"
stop_and_expect_0 "$web" 25010
stop_and_expect_0 "$api" 25011

if [ "$ENGINE" = docker ]; then
  size="$(docker image inspect --format '{{.Size}}' "$IMAGE") bytes"
else
  size=$(bah images --format '{{.Size}}' "$IMAGE")
fi
log "image $IMAGE: $size; all container checks passed"
