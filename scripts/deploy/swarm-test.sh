#!/usr/bin/env bash
# Usage: scripts/deploy/swarm-test.sh [--csv FILE] [--limit N] [--rate N]
#
# A release on a real one-node swarm, as CI step 95 runs it (as root): a Docker Engine of its own
# (scripts/container/engine.sh, in a network namespace of its own, its images and build cache in
# $MINITWIT_CI_CACHE/swarm-engine), `docker swarm init`, the stand-in base images
# (scripts/container/stand-ins.sh) and this repository's images built on them, then
# scripts/deploy/stack-deploy.sh --local deploys every stack file with deploy/swarm/stack.test.yml, its
# secrets and configs:
#   1. release 1: the stack comes up; the smoke test passes through the edge (Caddy, `tls internal`);
#      HTTP redirected, HSTS, the app's ports not published; the course's simulator credentials refused
#      (the secrets are random), and the image refuses to start on an empty simulator password;
#      per-client limits through the edge: one client's 31st failed sign-in and 21st sign-up in a row
#      get 429 whatever X-Forwarded-For it sends, while another client is still served.
#   2. release 2 (a second image tag) while the scenario (--csv, its first --limit lines, default 6000,
#      paced at --rate actions a second, default 40) is replayed through the edge: web and api roll one
#      replica at a time. 0 replay errors, /latest and the end state right, every acknowledged write in
#      the database; the time each replica took to be replaced is printed, from the engine's events.
#   3. release 3, an image whose health check fails, under a second replay (a generated scenario of 1.5
#      times --limit actions, whose users carry the suffix " rollback", so that no user is shared with the
#      first): Swarm rolls web and api back by themselves, the release script exits 1, the replay sees no
#      error.
#   4. after these releases: postgres, pgbackrest and backup still run, every secret is there, WAL
#      segments are archived (pg_stat_archiver, pgbackrest info), PostgreSQL's container and start time
#      are those of release 1: no app release restarted it.
#   5. point-in-time recovery with deploy/swarm/README.md's commands: A written, the time noted, B written,
#      everything that writes scaled to 0, minitwit-pitr-restore in the postgres image on its volumes,
#      PostgreSQL back: A is there, B is not; a deploy brings every service back.
# Each phase checks only what it wrote: its own users, its own /latest, its own acknowledged writes.
# Prints FIGURE lines (errors, writes lost, times) and exits 1 on any failure. Then everything goes: the
# stack, its volumes and networks, the swarm, the engine (by its pid), its namespace and mounts; only the
# images and the build cache stay in the engine's data root, for the next run. Needs root, iproute2,
# curl, node and `npm run build` (the replay and the acknowledged-writes check run on this machine, in
# the engine's namespace).
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
# Images and the build cache outlive the run (the app's image takes minutes to build from nothing here);
# containers, volumes, networks and the swarm do not. Not step 90's data root: two engines never share one.
ENGINE_DATA=${SWARM_ENGINE_DATA:-$CI_CACHE/swarm-engine}
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
# figure NAME VALUE: one of the figures printed again at the end (and by CI).
figure() { printf '  FIGURE %-48s %s\n' "$1:" "$2" | tee -a "$WORK/figures" >&2; }

# Removes every container, volume and network of the engine and leaves the swarm (the images stay).
# Every volume by name, not `docker volume prune`: prune left the stack's postgres-data volume (a bind of
# the run's data directory) of one run in the engine, and the next run's PostgreSQL failed to mount its
# vanished directory. Nothing else uses this engine's data root.
clear_engine() {
  local ids volumes deadline
  docker stack rm "$STACK" > /dev/null 2>&1 || true
  # The stack's containers stop in the background: give them a moment (bounded) before the swarm goes.
  deadline=$(($(date +%s) + 30))
  while [ -n "$(docker ps -q 2> /dev/null)" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
  docker swarm leave --force > /dev/null 2>&1 || true
  for _ in $(seq 10); do
    ids=$(docker ps -aq)
    # shellcheck disable=SC2086 # one id per word
    [ -z "$ids" ] || timeout 120 docker rm -f --volumes $ids > /dev/null 2>&1 || true
    volumes=$(docker volume ls -q)
    [ -n "$volumes" ] || break
    # shellcheck disable=SC2086 # one name per word
    timeout 120 docker volume rm -f $volumes > /dev/null 2>&1 || sleep 1
  done
  timeout 60 docker network prune -f > /dev/null 2>&1 || true
  volumes=$(docker volume ls -q)
  [ -z "$volumes" ] || { echo "swarm-test: volumes left in the engine: $(tr "\n" " " <<< "$volumes")" >&2; return 1; }
}

cleanup() {
  local code=$?
  trap - EXIT
  set +e
  [ -z "${EVENTS_PID:-}" ] || stop_events
  [ -z "${REPLAY_PID:-}" ] || { kill "$REPLAY_PID" 2> /dev/null; wait "$REPLAY_PID" 2> /dev/null; }
  if [ -S "$ENGINE_DIR/docker.sock" ]; then
    export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
    if [ "$code" != 0 ]; then
      echo "--- the stack's services and the last log lines of web, api and postgres (the test failed)" >&2
      docker stack ps "$STACK" --no-trunc --format '{{.Name}} {{.Image}} {{.CurrentState}} {{.Error}}' 2> /dev/null | head -40 >&2
      for service in minitwit-api postgres; do
        timeout 20 docker service logs --no-task-ids --tail 15 "${STACK}_$service" 2>&1 | tail -15 >&2
      done
    fi
    clear_engine || code=1
    # Images that this run's builds replaced (the build cache stays).
    timeout 60 docker image prune -f > /dev/null 2>&1
  fi
  [ ! -d "$ENGINE_DIR" ] || scripts/container/engine.sh stop --dir "$ENGINE_DIR"
  rm -rf "$WORK" "/etc/netns/$NETNS"
  rmdir /etc/netns 2> /dev/null # when no other namespace has a file there
  # Nothing left: no namespace, no mount under the run's directory, no daemon of this run.
  ! ip netns list | grep -q "^$NETNS\b" || { echo "swarm-test: netns $NETNS left behind" >&2; code=1; }
  ! grep -q " $WORK/" /proc/mounts || { echo "swarm-test: mounts under $WORK left behind" >&2; code=1; }
  if [ -n "${DOCKERD_PID:-}" ] && kill -0 "$DOCKERD_PID" 2> /dev/null; then
    echo "swarm-test: dockerd $DOCKERD_PID still running" >&2
    code=1
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT HUP

in_ns() { ip netns exec "$NETNS" "$@"; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# --- the engine, the swarm, the images -----------------------------------------------------------------
# Addresses of its own (step 90's engine uses 172.31.250.0/24, 10.231.128.0/18 and 10.231.191.252/30).
eval "$(scripts/container/engine.sh start --dir "$ENGINE_DIR" --bip 172.31.251.1/24 \
  --pool base=10.232.0.0/17,size=24 --netns "$NETNS" --link 10.232.255.252/30 --data-root "$ENGINE_DATA")"
DOCKERD_PID=$(cat "$ENGINE_DIR/docker.pid")
mkdir -p "/etc/netns/$NETNS"
printf '127.0.0.1 localhost %s %s\n' "$MINITWIT_WEB_HOST" "$MINITWIT_API_HOST" > "/etc/netns/$NETNS/hosts"
# A run killed before its cleanup may have left a swarm, containers or volumes in the data root.
clear_engine || die "the engine's data root holds volumes that cannot be removed"
docker swarm init --advertise-addr 127.0.0.1 --default-addr-pool 10.232.128.0/18 > /dev/null
docker node update --label-add minitwit.database=true "$(docker node ls --format '{{.Hostname}}' | head -1)" > /dev/null
log "swarm of one node up ($(docker version --format '{{.Server.Version}}'))"

t=$(date +%s)
scripts/container/stand-ins.sh node postgres prometheus alertmanager node-exporter postgres-exporter caddy
figure "stand-ins ready (built or already there)" "$(($(date +%s) - t)) s"
t=$(date +%s)
# This repository's three images. The engine's data root keeps its build cache: a run with the same code
# rebuilds nothing (npm ci and two native modules take minutes here the first time).
docker build --quiet --target app --tag minitwit:swarm-1 . > /dev/null
docker build --quiet --target backup --build-arg POSTGRES_CLIENT_SOURCE=debian --tag minitwit-backup:swarm . > /dev/null
docker build --quiet --file deploy/postgres/Dockerfile --tag minitwit-postgres:swarm . > /dev/null
# Release 2: the same code under another tag and label (what Swarm sees is a new image).
printf 'FROM minitwit:swarm-1\nLABEL org.minitwit.release=2\n' | docker build --quiet --tag minitwit:swarm-2 - > /dev/null
# Release 3: a replica that never becomes healthy.
printf 'FROM minitwit:swarm-2\nHEALTHCHECK --interval=2s --timeout=2s --retries=2 CMD ["false"]\n' \
  | docker build --quiet --tag minitwit:swarm-broken - > /dev/null
figure "images built (or from the build cache)" "$(($(date +%s) - t)) s"

# --- secrets --------------------------------------------------------------------------------------------
secret() { printf '%s' "$2" | docker secret create "$1" - > /dev/null; }
create_test_secrets secret
secret minitwit_spaces_key "$(openssl rand -hex 16)"
secret minitwit_spaces_secret "$(openssl rand -hex 16)"

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
WEB_URL="https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT" API_URL="https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT"
in_ns scripts/deploy/smoke.sh --web "$WEB_URL" --api "$API_URL" --cacert "$WORK/caddy-root.crt" \
  --resolve "$SMOKE_RESOLVE" || fail "smoke test after release 1"
figure "release 1: deploy to smoke test passed" "$(($(date +%s) - t)) s"
docker stack services "$STACK" --format '  {{.Name}} {{.Replicas}} {{.Image}}' | sort

# The edge: HTTP redirected to HTTPS, HSTS, the app's ports not published.
location=$(in_ns curl -s -o /dev/null -w '%{redirect_url}' "http://$MINITWIT_WEB_HOST:$EDGE_HTTP_PORT/public")
case "$location" in https://*) log "edge: http:// redirected to $location" ;; *) fail "http:// not redirected (got '$location')" ;; esac
headers=$(in_ns curl -sf --cacert "$WORK/caddy-root.crt" -D - -o /dev/null "https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT/public")
grep -qi '^strict-transport-security: max-age=' <<< "$headers" || fail "no HSTS on the pages"
for port in 5000 5001; do
  ! in_ns curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" || fail "the app's port $port answers outside the stack"
done

# --- the simulator's credentials: the secrets', no default ------------------------------------------------
# A client in the engine's namespace (through 127.0.0.1), and one on this machine outside it (through the
# namespace's link address): to the edge, two clients with two addresses.
NS_ADDR=$(sed -n 's/^NS_ADDR=//p' "$ENGINE_DIR/engine.state")
edge_curl() { in_ns curl -s --max-time 15 --cacert "$WORK/caddy-root.crt" "$@"; }
outside_curl() {
  curl -s --max-time 15 --cacert "$WORK/caddy-root.crt" --resolve "$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT:$NS_ADDR" \
    --resolve "$MINITWIT_API_HOST:$EDGE_HTTPS_PORT:$NS_ADDR" "$@"
}
course_code=$(edge_curl -o /dev/null -w '%{http_code}' -u 'simulator:super_safe!' "$API_URL/msgs?no=1")
own_code=$(edge_curl -o /dev/null -w '%{http_code}' -u "$SIMULATOR_USERNAME:$SIMULATOR_PASSWORD" "$API_URL/msgs?no=1")
figure "simulator credentials: the course's, the secrets'" "HTTP $course_code, HTTP $own_code"
[ "$course_code" = 403 ] || fail "the course's published simulator credentials got HTTP $course_code, not 403"
[ "$own_code" = 200 ] || fail "the secrets' simulator credentials got HTTP $own_code, not 200"
# An empty secret: the app refuses to start (before it connects anywhere).
empty_code=0
timeout 60 docker run --rm --network none --entrypoint node -e DATABASE_URL=postgres://minitwit_app@postgres:5432/minitwit \
  -e SESSION_SECRET="$(openssl rand -hex 32)" -e SIMULATOR_USERNAME=someone -e SIMULATOR_PASSWORD_FILE=/dev/null minitwit:swarm-1 dist/src/server.js \
  > "$WORK/empty-secret.log" 2>&1 || empty_code=$?
refusal=$(grep -o 'SIMULATOR_PASSWORD[^"]*' "$WORK/empty-secret.log" | head -1)
figure "an empty simulator password secret" "exit $empty_code: ${refusal:-no message naming SIMULATOR_PASSWORD}"
if [ "$empty_code" = 0 ] || [ "$empty_code" = 124 ] || [ -z "$refusal" ]; then
  fail "the app started (or said nothing of SIMULATOR_PASSWORD) with an empty simulator password: $(tail -3 "$WORK/empty-secret.log")"
fi

# --- per-client sign-in and sign-up limits, keyed on the address the edge passes ---------------------------
# The app's defaults: 30 failed sign-ins per client in 15 minutes, 20 sign-ups per client in an hour. The
# outside client sends each attempt with another X-Forwarded-For (the edge must not pass it on as the
# client's), each sign-in for another unknown account (the per-account limit is 10).
t=$(date +%s)
first_refused=""
for i in $(seq 1 31); do
  code=$(outside_curl -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: 198.51.100.$i" \
    --data-urlencode "username=limit-probe-nobody-$i" --data-urlencode 'password=wrong-password' "$WEB_URL/login")
  if [ "$code" = 429 ]; then first_refused=$i; break; fi
done
inside_code=$(edge_curl -o /dev/null -w '%{http_code}' --data-urlencode 'username=limit-probe-nobody-in' \
  --data-urlencode 'password=wrong-password' "$WEB_URL/login")
figure "failed sign-ins: one client's first 429" "attempt ${first_refused:-none of 31} (another client then: HTTP $inside_code)"
[ "$first_refused" = 31 ] || fail "one client's first refused sign-in was attempt ${first_refused:-none of 31}, not 31"
[ "$inside_code" != 429 ] || fail "another client's sign-in was refused too: the limit is not per client"
first_refused=""
for i in $(seq 1 21); do
  code=$(outside_curl -o /dev/null -w '%{http_code}' -H "X-Forwarded-For: 198.51.100.$i" -H 'Content-Type: application/json' \
    -d "{\"username\":\"limit-probe-signup-$i\",\"email\":\"limit-probe-$i@example.org\",\"pwd\":\"limit-probe-pw-$i\"}" \
    "$API_URL/register")
  if [ "$code" = 429 ]; then first_refused=$i; break; fi
  [ "$code" = 204 ] || { fail "sign-up $i through the edge: HTTP $code"; break; }
done
inside_code=$(edge_curl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"username":"limit-probe-signup-in","email":"limit-probe-in@example.org","pwd":"limit-probe-pw-in"}' "$API_URL/register")
figure "sign-ups: one client's first 429" "sign-up ${first_refused:-none of 21} (another client then: HTTP $inside_code)"
[ "$first_refused" = 21 ] || fail "one client's first refused sign-up was number ${first_refused:-none of 21}, not 21"
[ "$inside_code" = 204 ] || fail "another client's sign-up got HTTP $inside_code, not 204: the limit is not per client"
log "per-client limits checked in $(($(date +%s) - t)) s"

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
      --timeout-ms 10000 --user "$SIMULATOR_USERNAME" --password "$SIMULATOR_PASSWORD" \
      --acknowledged "$WORK/$1.jsonl" --json --quiet > "$WORK/$1.json" 2> "$WORK/$1.txt" || code=$?
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
  # shellcheck disable=SC2016 # JavaScript's template literals
  figure "replay $1: actions, errors, p99" "$(node -p 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    `${r.actions.sent} actions in ${r.durationSeconds.toFixed(0)} s, ${r.errors.total} errors, p99 ${r.latencyMs.p99} ms, end state ${r.endState.ok ? "right" : "WRONG"}`' "$WORK/$1.json" 2> /dev/null || echo 'no report')"
  if [ "$(cat "$WORK/$1.rc")" != 0 ]; then
    fail "replay $1 failed (exit $(cat "$WORK/$1.rc"))"
    grep -iE -A12 'end state|mismatch' "$WORK/$1.txt" | head -40 | sed 's/^/    | /'
  fi
  # The acknowledged writes, checked from inside an api replica (the database is on an internal network).
  local api
  api=$(container_of minitwit-api)
  docker cp "$WORK/$1.jsonl" "$api:/tmp/$1.jsonl"
  local code=0
  docker exec "$api" node dist/scripts/minitwit.js check-acknowledged --file "/tmp/$1.jsonl" > "$WORK/$1-ack.txt" 2>&1 || code=$?
  sed 's/^/  /' "$WORK/$1-ack.txt" >&2
  local written lost
  written=$(sed -n 's/^\([0-9]*\) acknowledged writes:.*/\1/p' "$WORK/$1-ack.txt")
  lost=$(sed -n 's/^\([0-9]*\) acknowledged writes are not in the database.*/\1/p' "$WORK/$1-ack.txt")
  [ "$code" != 0 ] || lost=0
  figure "replay $1: acknowledged writes lost" "${lost:-unknown} of ${written:-unknown}"
  [ "$code" = 0 ] || fail "acknowledged writes of replay $1 missing (check-acknowledged exit $code)"
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
# No smoke test during the replay: the smoke test's own replay moves /latest, which this replay checks.
release minitwit:swarm-2 --no-smoke || fail "release 2 failed"
update_ms=$(($(date +%s%3N) - t))
stop_events
kill -0 "$REPLAY_PID" 2> /dev/null || fail "the replay ended before release 2 did: raise --limit or lower --rate"
replay_verdict rolling
figure "release 2: web and api updated (rolling)" "$(secs "$update_ms") s"
replacement_times rolling "$old" | while IFS= read -r line; do
  line=${line#"${line%%[! ]*}"}
  figure "replaced: ${line%%:*}" "${line#*: }"
done || fail "no replacement times from the engine's events"
[ "$(current_image minitwit-api)" = minitwit:swarm-2 ] || fail "api runs $(current_image minitwit-api), not minitwit:swarm-2"

# --- 3. release 3, a broken image: rolled back by Swarm itself ------------------------------------------
log "release 3: minitwit:swarm-broken (its health check fails) under a replay"
# A scenario of its own (new users), so that its end state does not depend on the first replay's.
# Users of its own: every name carries the suffix " rollback" (the generator's names are the course's).
# Half as long again as the first: a rollback takes longer than an update (seen: 98 s against 57 s), and
# the replay must outlast it.
rollback_actions=$((limit * 3 / 2))
node dist/scripts/minitwit.js scenario --actions "$rollback_actions" --seed "swarm-rollback" --user-suffix " rollback" \
  --out "$WORK/rollback.csv" > /dev/null
start_replay rollback "$WORK/rollback.csv" "$rollback_actions"
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
figure "release 3 (broken): rolled back by Swarm" "web and api $state, on $image; the script exited $code after $(secs "$rollback_ms") s"
kill -0 "$REPLAY_PID" 2> /dev/null || fail "the replay ended before the rollback did: raise --limit or lower --rate"
replay_verdict rollback

# --- 4. what must have survived the releases ------------------------------------------------------------
for service in postgres pgbackrest backup; do
  replicas=$(docker service ls --filter "name=${STACK}_$service" --format '{{.Name}} {{.Replicas}}' | awk -v s="${STACK}_$service" '$1 == s { print $2 }')
  log "$service: $replicas"
  [ "$replicas" = 1/1 ] || fail "$service runs ${replicas:-no} replicas after the releases"
done
for name in minitwit_database_url minitwit_migration_database_url minitwit_owner_password minitwit_app_password \
  minitwit_monitor_password minitwit_session_secret minitwit_simulator_username minitwit_simulator_password \
  minitwit_postgres_password \
  minitwit_spaces_key minitwit_spaces_secret minitwit_backup_signing_key alertmanager_webhook_url; do
  docker secret inspect "$name" > /dev/null 2>&1 || fail "secret $name is gone"
done
[ "$(container_of postgres)" = "$postgres_container" ] || fail "postgres runs in another container than after release 1"
now_started=$(psql_in_postgres 'SELECT pg_postmaster_start_time()')
[ "$now_started" = "$postgres_started" ] || fail "PostgreSQL restarted: started $now_started, was $postgres_started"
figure "PostgreSQL restarted by the app's releases" "$([ "$now_started" = "$postgres_started" ] && echo "no (started $now_started, release 1's)" || echo "YES")"
psql_in_postgres 'SELECT pg_switch_wal()' > /dev/null
for _ in $(seq 60); do
  archived=$(psql_in_postgres "SELECT archived_count, failed_count, coalesce(last_archived_wal, 'none') FROM pg_stat_archiver")
  case "$archived" in 0\|*) sleep 2 ;; *) break ;; esac
done
IFS='|' read -r archived_count failed_count last_wal <<< "$archived"
figure "WAL archiving after the releases" "$archived_count segments archived, $failed_count failed attempts, the last $last_wal"
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
figure "PITR: markers back (want A, not B)" "'${markers:-nothing}'; $(secs "$pitr_ms") s from stopping the writers to PostgreSQL taking writes"
[ "$markers" = A ] || fail "after PITR the markers are '${markers:-nothing}', not A"
t=$(date +%s)
release minitwit:swarm-2 --no-smoke || fail "the release after PITR did not bring the services back"
for service in minitwit-web minitwit-api pgbackrest backup; do wait_for_replicas "$service" 300 || fail "$service did not come back"; done
figure "PITR: every service back by a deploy" "$(($(date +%s) - t)) s"

figure "swarm test (the whole)" "$(($(date +%s) - started)) s"
echo "--- figures"
cat "$WORK/figures"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
log "passed"
