#!/usr/bin/env bash
# Usage: scripts/deploy/swarm-test.sh [--csv FILE] [--limit N] [--rate N]
#
# A release on a real one-node swarm, as CI step 95 runs it (as root): a Docker Engine of its own
# (scripts/container/engine.sh, in a network namespace of its own), `docker swarm init`, the stand-in base
# images (scripts/container/stand-ins.sh) and this repository's images built on them, then
# scripts/deploy/stack-deploy.sh --local deploys every stack file with deploy/swarm/stack.test.yml, its
# secrets and configs:
#   1. release 1: the stack comes up; the smoke test passes through the edge (Caddy, `tls internal`).
#   2. release 2 (a second image tag) while the scenario (--csv, its first --limit lines, default 6000,
#      paced at --rate actions a second, default 40) is replayed through the edge: web and api roll one
#      replica at a time. 0 replay errors, every acknowledged write in the database; the time each
#      replica took to be replaced is printed, from the engine's events.
#   3. release 3, an image whose health check fails, under a second replay: Swarm rolls web and api back
#      by themselves, the release script exits 1, the replay sees no error.
#   4. after these releases: postgres, pgbackrest and backup still run, every secret is there, WAL
#      segments are archived (pg_stat_archiver, pgbackrest info), PostgreSQL's container and start time
#      are those of release 1: no app release restarted it.
#   5. point-in-time recovery with deploy/swarm/README.md's commands: A written, the time noted, B written,
#      everything that writes scaled to 0, minitwit-pitr-restore in the postgres image on its volumes,
#      PostgreSQL back: A is there, B is not; a deploy brings every service back.
# Then everything goes: the stack, the swarm, the engine (by its pid), its namespace; nothing is left.
# Needs root, iproute2, curl, node and `npm run build` (the replay and the acknowledged-writes check run
# on this machine, in the engine's namespace).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

csv="${SHARED_DIR:-../shared}/data/minitwit_scenario.csv" limit=6000 rate=40
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --csv) csv=${2:?}; shift ;;
    --limit) limit=${2:?}; shift ;;
    --rate) rate=${2:?}; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || die "run as root (a Docker engine and a network namespace)"
[ -f "$csv" ] || die "no scenario at $csv (--csv)"
[ -f dist/scripts/minitwit.js ] || die "run npm run build first"

started=$(date +%s)
CI_CACHE=${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}
WORK=$(mktemp -d /tmp/minitwit-swarm.XXXXXX)
ENGINE_DIR="$WORK/engine"
NETNS="mtsw$$"
export STACK=minitwit EDGE_HTTP_PORT=28080 EDGE_HTTPS_PORT=28443
# The edge's two names, for the namespace's processes only (ip netns exec reads /etc/netns/NAME/hosts)
# and the smoke test's (--resolve).
export MINITWIT_WEB_HOST=web.minitwit.test MINITWIT_API_HOST=api.minitwit.test SMOKE_RESOLVE=127.0.0.1
export BACKUP_S3_BUCKET=unused-in-ci BACKUP_S3_ENDPOINT=https://s3.invalid BACKUP_S3_REGION=none
export RESOLVE_IMAGE=never
FAILED=()
fail() { FAILED+=("$*"); log "FAILED: $*"; }

cleanup() {
  local code=$?
  trap - EXIT
  [ -z "${EVENTS_PID:-}" ] || stop_events
  if [ -S "$ENGINE_DIR/docker.sock" ]; then
    export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
    docker stack rm "$STACK" > /dev/null 2>&1 || true
    docker swarm leave --force > /dev/null 2>&1 || true
  fi
  [ ! -d "$ENGINE_DIR" ] || scripts/container/engine.sh stop --dir "$ENGINE_DIR" || true
  rm -rf "$WORK" "/etc/netns/$NETNS"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT HUP

in_ns() { ip netns exec "$NETNS" "$@"; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# --- the engine, the swarm, the images -----------------------------------------------------------------
eval "$(scripts/container/engine.sh start --dir "$ENGINE_DIR" --bip 172.31.251.1/24 \
  --pool base=10.232.0.0/16,size=24 --netns "$NETNS" --link 10.232.255.252/30)"
mkdir -p "/etc/netns/$NETNS"
printf '127.0.0.1 localhost %s %s\n' "$MINITWIT_WEB_HOST" "$MINITWIT_API_HOST" > "/etc/netns/$NETNS/hosts"
docker swarm init --advertise-addr 127.0.0.1 > /dev/null
docker node update --label-add minitwit.database=true "$(docker node ls --format '{{.Hostname}}' | head -1)" > /dev/null
log "swarm of one node up ($(docker version --format '{{.Server.Version}}'))"

t=$(date +%s)
scripts/container/stand-ins.sh node postgres prometheus alertmanager node-exporter postgres-exporter caddy
# This repository's three images, kept in the CI cache under a hash of what they are built from (the
# files in git, uncommitted changes included, and the base images): a run with the same code loads them
# in seconds instead of building them again (npm ci and two native modules: minutes here).
images_key=$( {
  git ls-files -s -- Dockerfile '*.dockerignore' package.json package-lock.json .npmrc .prebuild-installrc patches \
    tsconfig.json tsconfig.build.json scripts src deploy/docker deploy/postgres
  git diff HEAD -- Dockerfile package.json package-lock.json patches scripts src deploy/docker deploy/postgres
  docker image inspect --format '{{.Id}}' node:24.11.1-trixie-slim postgres:17.12-trixie
} | sha256sum | cut -c1-16)
images_tar="$CI_CACHE/swarm-images/$images_key.tar"
if [ -f "$images_tar" ]; then
  docker load --quiet --input "$images_tar" > /dev/null
  log "minitwit, minitwit-backup and minitwit-postgres loaded from $images_tar"
else
  docker build --quiet --target app --tag minitwit:swarm-1 . > /dev/null
  docker build --quiet --target backup --build-arg POSTGRES_CLIENT_SOURCE=debian --tag minitwit-backup:swarm . > /dev/null
  docker build --quiet --file deploy/postgres/Dockerfile --tag minitwit-postgres:swarm . > /dev/null
  mkdir -p "$CI_CACHE/swarm-images"
  rm -f "$CI_CACHE"/swarm-images/*.tar
  docker save minitwit:swarm-1 minitwit-backup:swarm minitwit-postgres:swarm > "$images_tar.tmp" && mv "$images_tar.tmp" "$images_tar"
fi
# Release 2: the same code under another tag and label (what Swarm sees is a new image).
printf 'FROM minitwit:swarm-1\nLABEL org.minitwit.release=2\n' | docker build --quiet --tag minitwit:swarm-2 - > /dev/null
# Release 3: a replica that never becomes healthy.
printf 'FROM minitwit:swarm-2\nHEALTHCHECK --interval=2s --timeout=2s --retries=2 CMD ["false"]\n' \
  | docker build --quiet --tag minitwit:swarm-broken - > /dev/null
log "images ready in $(($(date +%s) - t)) s"

# --- secrets --------------------------------------------------------------------------------------------
secret() { printf '%s' "$2" | docker secret create "$1" - > /dev/null; }
# The deploy/swarm/README.md way: the superuser's, the owner's, the app's and the monitor's passwords.
secret minitwit_postgres_password "$(openssl rand -hex 24)"
owner_password=$(openssl rand -hex 24) app_password=$(openssl rand -hex 24)
secret minitwit_owner_password "$owner_password"
secret minitwit_app_password "$app_password"
secret minitwit_monitor_password "$(openssl rand -hex 24)"
secret minitwit_database_url "postgres://minitwit_app:$app_password@postgres:5432/minitwit"
secret minitwit_migration_database_url "postgres://minitwit:$owner_password@postgres:5432/minitwit"
secret minitwit_session_secret "$(openssl rand -hex 32)"
secret minitwit_simulator_password 'super_safe!'
for name in grafana_admin_password elastic_password kibana_system_password spaces_key spaces_secret; do
  secret "minitwit_$name" "$(openssl rand -hex 16)"
done
secret alertmanager_webhook_url "http://alert-receiver:9095/"

# PostgreSQL's data directory (production: the database volume), owned by the image's postgres user.
export POSTGRES_DATA_DIR="$WORK/postgres-data"
install -d -m 0700 -o "$(docker run --rm --entrypoint id minitwit-postgres:swarm -u postgres)" \
  -g "$(docker run --rm --entrypoint id minitwit-postgres:swarm -g postgres)" "$POSTGRES_DATA_DIR"

release() {
  in_ns env "POSTGRES_DATA_DIR=$POSTGRES_DATA_DIR" scripts/deploy/stack-deploy.sh --local --image "$1" \
    --postgres-image minitwit-postgres:swarm --backup-image minitwit-backup:swarm \
    --override deploy/swarm/stack.test.yml --smoke-cacert "$WORK/caddy-root.crt" "${@:2}"
}
container_of() { docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$1" | head -1; }
psql_in_postgres() { docker exec "$(container_of postgres)" psql -U postgres -d minitwit -Atc "$1"; }

# --- 1. release 1 ---------------------------------------------------------------------------------------
t=$(date +%s)
log "release 1: minitwit:swarm-1 (the first deploy)"
release minitwit:swarm-1 --no-smoke
wait_for_replicas edge 300
# The edge's own CA (`tls internal`), which the smoke test and the replay trust.
for _ in $(seq 60); do
  docker cp "$(container_of edge):/data/caddy/pki/authorities/local/root.crt" "$WORK/caddy-root.crt" 2> /dev/null && break
  sleep 1
done
[ -s "$WORK/caddy-root.crt" ] || die "the edge made no CA"
in_ns scripts/deploy/smoke.sh --web "https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT" --api "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" \
  --cacert "$WORK/caddy-root.crt" --resolve "$SMOKE_RESOLVE" || fail "smoke test after release 1"
log "release 1 up and smoke-tested in $(($(date +%s) - t)) s"
docker stack services "$STACK" --format '  {{.Name}} {{.Replicas}} {{.Image}}' | sort

# The edge: HTTP redirected to HTTPS, HSTS, the app's ports not published.
location=$(in_ns curl -s -o /dev/null -w '%{redirect_url}' "http://$MINITWIT_WEB_HOST:$EDGE_HTTP_PORT/public")
case "$location" in https://*) log "edge: http:// redirected to $location" ;; *) fail "http:// not redirected (got '$location')" ;; esac
headers=$(in_ns curl -sf --cacert "$WORK/caddy-root.crt" -D - -o /dev/null "https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT/public")
grep -qi '^strict-transport-security: max-age=' <<< "$headers" || fail "no HSTS on the pages"
for port in 5000 5001; do
  ! in_ns curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" || fail "the app's port $port answers outside the stack"
done

postgres_container=$(container_of postgres)
postgres_started=$(psql_in_postgres 'SELECT pg_postmaster_start_time()')
log "postgres: container ${postgres_container:0:12}, started $postgres_started"

# --- replays through the edge ---------------------------------------------------------------------------
# start_replay NAME LIMIT: in the background (REPLAY_PID), paced, from this machine in the engine's
# namespace, through the edge with its CA; report NAME.json, acknowledged writes NAME.jsonl.
start_replay() {
  (
    code=0
    in_ns env "NODE_EXTRA_CA_CERTS=$WORK/caddy-root.crt" nice -n 10 node dist/scripts/minitwit.js replay \
      --url "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" --csv "$2" --limit "$3" --rate "$rate" --concurrency 8 \
      --timeout-ms 10000 --acknowledged "$WORK/$1.jsonl" --json --quiet > "$WORK/$1.json" 2> "$WORK/$1.txt" || code=$?
    echo "$code" > "$WORK/$1.rc"
  ) &
  REPLAY_PID=$!
}
replay_verdict() {
  wait "$REPLAY_PID" || true
  # shellcheck disable=SC2016 # JavaScript's template literals
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const e = r.errors;
    console.log(`  replay ${process.argv[2]}: ${r.actions.sent} actions in ${r.durationSeconds.toFixed(1)} s through the edge, ` +
      `errors ${e.total} (wrong status ${e.wrongStatus.total}, timeout ${e.timeout}, connection ${e.connection}), ` +
      `p99 ${r.latencyMs.p99} ms, /latest ${r.latest.ok ? "right" : "WRONG"}, end state ${r.endState.ok ? "right" : "WRONG"}`);
  ' "$WORK/$1.json" "$1" || fail "replay $1 wrote no report: $(tail -5 "$WORK/$1.txt")"
  if [ "$(cat "$WORK/$1.rc")" != 0 ]; then
    fail "replay $1 failed (exit $(cat "$WORK/$1.rc"))"
    grep -iE -A12 'end state|mismatch' "$WORK/$1.txt" | head -40 | sed 's/^/    | /'
  fi
  # The acknowledged writes, checked from inside an api replica (the database is on an internal network).
  local api
  api=$(container_of minitwit-api)
  docker cp "$WORK/$1.jsonl" "$api:/tmp/$1.jsonl"
  docker exec "$api" node dist/scripts/minitwit.js check-acknowledged --file "/tmp/$1.jsonl" | sed 's/^/  /'
  [ "${PIPESTATUS[0]}" = 0 ] || fail "acknowledged writes of replay $1 missing"
}

# The engine's container events (start, health, kill, die), recorded while a release runs: the engine
# keeps only its last 256 events, and every health check is one.
record_events() {
  docker events --filter type=container --format '{{json .}}' > "$WORK/events-$1.jsonl" &
  EVENTS_PID=$!
}
stop_events() { kill "$EVENTS_PID" 2> /dev/null || true; wait "$EVENTS_PID" 2> /dev/null || true; }

# Each replica's replacement in a rolling update, from the recorded events: per service, the new
# containers' start, their health check's first `healthy`, and the old ones' kill (SIGTERM) and exit,
# paired in order (parallelism 1: one replacement at a time).
replacement_times() {
  # shellcheck disable=SC2016 # JavaScript's template literals
  node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const old = new Set(process.argv[2].split(" "));
    for (const service of ["minitwit-web", "minitwit-api"]) {
      const mine = lines.filter((e) => e.Actor.Attributes["com.docker.swarm.service.name"] === `minitwit_${service}`);
      const at = (e) => Math.round(e.timeNano / 1e6);
      const starts = mine.filter((e) => e.status === "start" && !old.has(e.id));
      const healthy = new Map();
      for (const e of mine) if (e.status === "health_status: healthy" && !healthy.has(e.id)) healthy.set(e.id, at(e));
      const killed = new Map();
      for (const e of mine) if (e.status === "kill" && old.has(e.id) && !killed.has(e.id)) killed.set(e.id, e);
      const kills = [...killed.values()];
      const dies = new Map(mine.filter((e) => e.status === "die").map((e) => [e.id, at(e)]));
      starts.forEach((s, i) => {
        const k = kills[i];
        const h = healthy.get(s.id);
        const parts = [`start to healthy ${h ? ((h - at(s)) / 1000).toFixed(1) + " s" : "never"}`];
        if (k) parts.push(`start to SIGTERM of the old one ${((at(k) - at(s)) / 1000).toFixed(1)} s`,
          `SIGTERM to exit ${dies.has(k.id) ? ((dies.get(k.id) - at(k)) / 1000).toFixed(1) + " s" : "not seen"}`);
        console.log(`    ${service} replica ${i + 1}: ${parts.join(", ")}`);
      });
      if (starts.length === 0) console.log(`    ${service}: no new replica started`);
    }
  ' "$WORK/events-$1.jsonl" "$2"
}
app_containers() {
  { docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=${STACK}_minitwit-web"
    docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=${STACK}_minitwit-api"; } | tr '\n' ' '
}

# --- 2. release 2, a rolling update under a replay ------------------------------------------------------
log "release 2: minitwit:swarm-2 under a replay of $limit actions at $rate a second"
old=$(app_containers)
record_events rolling
start_replay rolling "$csv" "$limit"
sleep 5
t=$(date +%s%3N)
# The smoke test after the replay, not during it: its own replay moves /latest and writes as users whose
# generated names may be the scenario's.
release minitwit:swarm-2 --no-smoke || fail "release 2 failed"
update_ms=$(($(date +%s%3N) - t))
stop_events
kill -0 "$REPLAY_PID" 2> /dev/null || fail "the replay ended before release 2 did: raise --limit or lower --rate"
replay_verdict rolling
log "release 2 done in $(secs "$update_ms") s (update of web and api, then the smoke test); replacements:"
replacement_times rolling "$old"
[ "$(current_image minitwit-api)" = minitwit:swarm-2 ] || fail "api runs $(current_image minitwit-api), not minitwit:swarm-2"

# --- 3. release 3, a broken image: rolled back by Swarm itself ------------------------------------------
log "release 3: minitwit:swarm-broken (its health check fails) under a replay"
# A scenario of its own (new users), so that its end state does not depend on the first replay's.
node dist/scripts/minitwit.js scenario --actions "$limit" --users 200 --seed "swarm-rollback-$$" --out "$WORK/rollback.csv" > /dev/null
start_replay rollback "$WORK/rollback.csv" "$limit"
sleep 5
t=$(date +%s%3N)
code=0
release minitwit:swarm-broken --no-smoke || code=$?
rollback_ms=$(($(date +%s%3N) - t))
[ "$code" = 1 ] || fail "the release of a broken image exited $code, not 1"
for service in minitwit-web minitwit-api; do
  state=$(docker service inspect --format '{{.UpdateStatus.State}}' "${STACK}_$service")
  image=$(current_image "$service")
  log "$service: update $state, runs $image"
  [ "$state" = rollback_completed ] || fail "$service: update $state, not rollback_completed"
  [ "$image" = minitwit:swarm-2 ] || fail "$service runs $image after the rollback"
done
log "release 3 rolled back by Swarm; the script exited $code after $(secs "$rollback_ms") s"
kill -0 "$REPLAY_PID" 2> /dev/null || fail "the replay ended before the rollback did: raise --limit or lower --rate"
replay_verdict rollback

# --- 4. what must have survived the releases ------------------------------------------------------------
for service in postgres pgbackrest backup; do
  replicas=$(docker service ls --filter "name=${STACK}_$service" --format '{{.Name}} {{.Replicas}}' | awk -v s="${STACK}_$service" '$1 == s { print $2 }')
  log "$service: $replicas"
  [ "$replicas" = 1/1 ] || fail "$service runs ${replicas:-no} replicas after the releases"
done
for name in minitwit_database_url minitwit_migration_database_url minitwit_owner_password minitwit_app_password \
  minitwit_monitor_password minitwit_session_secret minitwit_simulator_password minitwit_postgres_password \
  minitwit_spaces_key minitwit_spaces_secret alertmanager_webhook_url; do
  docker secret inspect "$name" > /dev/null 2>&1 || fail "secret $name is gone"
done
[ "$(container_of postgres)" = "$postgres_container" ] || fail "postgres runs in another container than after release 1"
now_started=$(psql_in_postgres 'SELECT pg_postmaster_start_time()')
[ "$now_started" = "$postgres_started" ] || fail "PostgreSQL restarted: started $now_started, was $postgres_started"
log "postgres: the same container, started $now_started (release 1's)"
psql_in_postgres 'SELECT pg_switch_wal()' > /dev/null
for _ in $(seq 60); do
  archived=$(psql_in_postgres "SELECT archived_count, failed_count, coalesce(last_archived_wal, 'none') FROM pg_stat_archiver")
  case "$archived" in 0\|*) sleep 2 ;; *) break ;; esac
done
IFS='|' read -r archived_count failed_count last_wal <<< "$archived"
log "WAL archiving: $archived_count segments archived, $failed_count failed attempts, the last $last_wal"
[ "${archived_count:-0}" -gt 0 ] || fail "no WAL segment archived"
docker exec -u postgres "$(container_of pgbackrest)" pgbackrest --stanza=minitwit info | sed 's/^/  /' \
  || fail "pgbackrest info failed"

# --- 5. point-in-time recovery, as deploy/swarm/README.md says ------------------------------------------
log "PITR: write A, note the time, write B, then the README's commands back to that time"
for _ in $(seq 90); do
  info=$(docker exec -u postgres "$(container_of pgbackrest)" pgbackrest --stanza=minitwit --output=json info 2> /dev/null || true)
  case "$info" in *'"type":"full"'*) break ;; esac
  sleep 2
done
psql_in_postgres "CREATE TABLE pitr_marker (v text); INSERT INTO pitr_marker VALUES ('A')" > /dev/null
sleep 1
target=$(psql_in_postgres "SELECT now()")
sleep 1
psql_in_postgres "INSERT INTO pitr_marker VALUES ('B'); SELECT pg_switch_wal()" > /dev/null
t=$(date +%s%3N)
docker service scale --detach "${STACK}_minitwit-web=0" "${STACK}_minitwit-api=0" "${STACK}_backup=0" "${STACK}_pgbackrest=0" > /dev/null
docker service scale "${STACK}_postgres=0" > /dev/null
image=$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "${STACK}_postgres")
docker run --rm --entrypoint minitwit-pitr-restore -v "$POSTGRES_DATA_DIR:/var/lib/postgresql/data" \
  -v "${STACK}_pgbackrest-repo:/var/lib/pgbackrest" -v "${STACK}_pgbackrest-spool:/var/spool/pgbackrest" \
  "$image" --time "$target" > "$WORK/pitr.log" 2>&1 || { tail -20 "$WORK/pitr.log"; fail "minitwit-pitr-restore failed"; }
docker service scale "${STACK}_postgres=1" > /dev/null
wait_for_replicas postgres 300 || fail "postgres did not come back after the restore"
for _ in $(seq 60); do
  markers=$(psql_in_postgres "SELECT string_agg(v, ',' ORDER BY v) FROM pitr_marker" 2> /dev/null) && [ "$(psql_in_postgres 'SELECT pg_is_in_recovery()')" = f ] && break
  sleep 2
done
pitr_ms=$(($(date +%s%3N) - t))
log "PITR to $target: pitr_marker holds '${markers:-nothing}' (want A, not B); $(secs "$pitr_ms") s from stopping the writers to PostgreSQL taking writes"
[ "$markers" = A ] || fail "after PITR the markers are '${markers:-nothing}', not A"
t=$(date +%s)
release minitwit:swarm-2 --no-smoke || fail "the release after PITR did not bring the services back"
for service in minitwit-web minitwit-api pgbackrest backup; do wait_for_replicas "$service" 300 || fail "$service did not come back"; done
log "every service back $(($(date +%s) - t)) s after the restore (stack-deploy.sh)"

log "swarm test: $(($(date +%s) - started)) s"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
log "passed"
