#!/usr/bin/env bash
# Usage: scripts/deploy/rolling-update.sh [--csv FILE] [--limit N] [--fault-limit N] [--concurrency N]
#                                         [--timeout-ms MS] [--phase all|rolling|faults] [--keep-in-nginx]
#
# What Docker Swarm does in a rolling update, tested here with real processes and no engine: three test
# hosts (network namespaces, a veth pair and an address each), one API replica on each (node
# dist/src/server.js, MINITWIT_ROLE=api) on a fresh database on the PostgreSQL server, nginx in front
# as the routing mesh's stand-in. The course's scenario (all of it, or its first --limit lines) is
# replayed through nginx at concurrency 8 (default) while the replicas are replaced one at a time, round
# after round, as `order: start-first` does: start the new one, wait until /readyz says ready, route to
# it, take the old one out of the balancer and send it SIGTERM at once (the app's drain,
# SHUTDOWN_DRAIN_MS from deploy/swarm/stack.yml, covers the balancer's reaction), then the next one
# (the old one drains meanwhile). Passes with zero replay errors, /latest and the end state right, every
# acknowledged write in the database, every old replica exiting 0 within the stack's stop_grace_period.
# An error is a wrong status, a connection error or no reply within --timeout-ms (default 10000): on a
# shared machine with every replica, nginx and the replay on two cores, the simulator's 0.3 s measures
# the machine's load, not the update; the replies slower than 0.3 s are counted and shown (nginx's
# request time), docs/performance.md is where latency is measured.
#
# --keep-in-nginx: the old replica gets SIGTERM while still in nginx's list and leaves it only once it has
# exited (passive health checks alone, no deregistration): what the drain does without a balancer that
# follows the orchestrator; for comparison, not what CI runs.
#
# Phase `faults` (a second fresh database, the first --fault-limit lines, default 10000): a replica
# killed with SIGKILL, then another host's link cut (ip link set eth0 down). Reported, not judged:
# requests failed, requests nginx moved to another replica, how fast it stopped sending to the lost
# one; judged: every acknowledged write is in the database (npm run check-acknowledged).
#
# Needs root, iproute2, nginx, curl, psql, a PostgreSQL server (CI_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432, reached by the replicas through its unix socket in PG_SOCKET_DIR,
# default /var/run/postgresql) and `npm run build`. KEEP_MESH_WORK=1 keeps the logs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mesh-lib.sh"
cd "$REPO_ROOT"

csv="${SHARED_DIR:-../shared}/data/minitwit_scenario.csv" limit="" fault_limit=10000 concurrency=8 phase=all
timeout_ms=10000 deregister=yes
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --csv) csv=${2:?}; shift ;;
    --limit) limit=${2:?}; shift ;;
    --fault-limit) fault_limit=${2:?}; shift ;;
    --concurrency) concurrency=${2:?}; shift ;;
    --timeout-ms) timeout_ms=${2:?}; shift ;;
    --phase) phase=${2:?}; shift ;;
    --keep-in-nginx) deregister=no ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
case "$phase" in all | rolling | faults) ;; *) die "--phase must be all, rolling or faults" ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (it makes network namespaces)"
[ -f "$csv" ] || die "no scenario at $csv (--csv)"
[ -f dist/src/server.js ] || die "run npm run build first"
PG_URL=${CI_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
PG_SOCKET=${PG_SOCKET_DIR:-/var/run/postgresql}
# The drain and shutdown bound the swarm stack gives the app: the test holds the stack to them.
DRAIN_MS=$(sed -n "s/^ *SHUTDOWN_DRAIN_MS: '\([0-9]*\)'.*/\1/p" deploy/swarm/stack.yml | head -1)
TIMEOUT_MS=$(sed -n "s/^ *SHUTDOWN_TIMEOUT_MS: '\([0-9]*\)'.*/\1/p" deploy/swarm/stack.yml | head -1)
[ -n "$DRAIN_MS" ] || die "no SHUTDOWN_DRAIN_MS in deploy/swarm/stack.yml"
[ -n "$TIMEOUT_MS" ] || die "no SHUTDOWN_TIMEOUT_MS in deploy/swarm/stack.yml"
GRACE_S=$(sed -n 's/^  stop_grace_period: \([0-9]*\)s$/\1/p' deploy/swarm/stack.yml | head -1)
[ -n "$GRACE_S" ] || die "no stop_grace_period (in seconds) for the app in deploy/swarm/stack.yml"
DATABASES=()
FAILED=()

cleanup() {
  mesh_cleanup
  local db
  for db in "${DATABASES[@]}"; do psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; done
}
trap cleanup EXIT
# Stopped from outside (CI's timeout, ^C): the same cleanup.
trap 'exit 143' TERM
trap 'exit 130' INT HUP

# use_fresh_database NAME: a database of this run's own; the replicas' settings point at it.
use_fresh_database() {
  DB="minitwit_mesh_$$_$1"
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB"
  DATABASES+=("$DB")
  REPLICA_ENV=("DATABASE_URL=postgres://postgres@/$DB?host=$PG_SOCKET" DB_POOL_SIZE=4 LOG_LEVEL=warn
    LOG_FORMAT=json "SHUTDOWN_DRAIN_MS=$DRAIN_MS" "SHUTDOWN_TIMEOUT_MS=$TIMEOUT_MS"
    SIGNIN_LIMIT_PER_CLIENT=0 SIGNUP_LIMIT_PER_CLIENT=0
    # The replay sends the course's simulator credentials; a server database needs them set explicitly.
    SIMULATOR_USERNAME=simulator 'SIMULATOR_PASSWORD=super_safe!')
}

# start_replicas PORT: one replica on every host, all ready, nginx routing to them.
start_replicas() {
  local host
  REPLICA_PORT=()
  for host in $(seq "$MESH_HOSTS"); do start_replica "$host" "$1"; done
  for host in $(seq "$MESH_HOSTS"); do wait_ready "$host" "$1"; REPLICA_PORT[$host]=$1; done
  if [ -z "$NGINX_PORT" ]; then start_nginx $((18000 + $$ % 1000)); else route_to_replicas; fi
  nginx_caught_up > /dev/null
}

stop_replicas() {
  local key
  for key in "${!REPLICA_PID[@]}"; do kill -TERM "${REPLICA_PID[$key]}" 2> /dev/null || true; done
  for key in "${!REPLICA_PID[@]}"; do wait "${REPLICA_PID[$key]}" 2> /dev/null || true; done
  REPLICA_PID=()
}

# start_replay NAME LIMIT: the scenario through nginx in the background (REPLAY_PID), at a lower priority
# than the replicas it measures, as in .ci/steps/50; report in $MESH_WORK/NAME.json, its log NAME.jsonl.
start_replay() {
  (
    code=0
    nice -n 10 node dist/scripts/minitwit.js replay --url "http://127.0.0.1:$NGINX_PORT" --csv "$csv" ${2:+--limit "$2"} \
      --concurrency "$concurrency" --timeout-ms "$timeout_ms" --acknowledged "$MESH_WORK/$1.jsonl" \
      --json --quiet > "$MESH_WORK/$1.json" 2> "$MESH_WORK/$1.txt" || code=$?
    echo "$code" > "$MESH_WORK/$1.rc"
  ) &
  REPLAY_PID=$!
}

replay_summary() {
  # shellcheck disable=SC2016 # JavaScript's template literals
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const e = r.errors;
    console.log(`  replay: ${r.actions.sent} actions in ${r.durationSeconds.toFixed(1)} s, errors ${e.total} ` +
      `(wrong status ${e.wrongStatus.total} ${JSON.stringify(e.wrongStatus.byAction)}, timeout ${e.timeout}, ` +
      `connection ${e.connection}; of the scenario itself ${e.expectedFromScenario}), ` +
      `p99 ${r.latencyMs.p99} ms, /latest ${r.latest.ok ? "right" : "WRONG"}, end state ${r.endState.ok ? "right" : "WRONG"}`);
  ' "$MESH_WORK/$1.json"
}

check_acknowledged() {
  DATABASE_URL="$PG_URL/$DB" node dist/scripts/minitwit.js check-acknowledged --file "$MESH_WORK/$1.jsonl" | sed 's/^/  /'
  return "${PIPESTATUS[0]}"
}

declare -A SIGTERM_AT=() OLD_LABEL=()
declare -a READY_MS=() REACTION_MS=() REPLACE_MS=() EXIT_MS=()

# spread NAME VALUE...: "NAME min / median / max ms" of the values.
spread() {
  local name=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" '{ v[NR] = $1 }
    END { printf "    %s: %d / %d / %d ms\n", name, v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# note_exit PID: in the background, notes when the process exits (ends or becomes a zombie, which it
# stays, being this shell's child, until reap_old waits for it).
note_exit() {
  (
    while running "$1"; do sleep 0.02; done
    now_ms > "$MESH_WORK/exited-$1"
  ) &
}

# reap_old PID: waits for an old replica sent SIGTERM, and says how long it took to exit, and how.
reap_old() {
  local pid=$1 code=0 took
  wait "$pid" || code=$?
  for _ in $(seq 100); do [ -s "$MESH_WORK/exited-$pid" ] && break; sleep 0.05; done
  took=$(($(cat "$MESH_WORK/exited-$pid") - SIGTERM_AT[$pid]))
  EXIT_MS+=("$took")
  printf '  %s: exited %s %5d ms after SIGTERM\n' "${OLD_LABEL[$pid]}" "$code" "$took"
  [ "$code" -eq 0 ] || FAILED+=("${OLD_LABEL[$pid]} exited $code after SIGTERM")
  [ "$took" -lt $((GRACE_S * 1000)) ] || FAILED+=("${OLD_LABEL[$pid]} took $took ms to exit: over stop_grace_period")
  unset 'SIGTERM_AT[$pid]' 'OLD_LABEL[$pid]'
}

# replace_replica HOST: start-first, as swarm: new replica on the other port (once the replica that had
# it is gone), ready, routed to; then the old one out of nginx and SIGTERM together. Prints timings.
replace_replica() {
  local host=$1 old new old_pid pid started ready stopped reaction
  old=${REPLICA_PORT[$host]}
  new=$((old == 5001 ? 5002 : 5001))
  old_pid=${REPLICA_PID["$host:$old"]}
  for pid in "${!OLD_LABEL[@]}"; do [ "${OLD_LABEL[$pid]}" != "h$host:$new" ] || reap_old "$pid"; done
  started=$(now_ms)
  start_replica "$host" "$new"
  wait_ready "$host" "$new"
  ready=$(now_ms)
  REPLICA_PORT[$host]="$old $new"
  route_to_replicas
  nginx_caught_up > /dev/null
  [ "$deregister" = no ] || { REPLICA_PORT[$host]=$new; route_to_replicas; }
  stopped=$(now_ms)
  kill -TERM "$old_pid"
  note_exit "$old_pid"
  SIGTERM_AT[$old_pid]=$stopped
  OLD_LABEL[$old_pid]="h$host:$old"
  unset 'REPLICA_PID[$host:$old]'
  if [ "$deregister" = no ]; then
    reap_old "$old_pid"
    REPLICA_PORT[$host]=$new
    route_to_replicas
  fi
  nginx_caught_up > /dev/null
  reaction=$(($(now_ms) - stopped))
  printf '  h%s: new replica ready %5d ms after its start; the old one out of nginx %5d ms after its SIGTERM; %5d ms from start to SIGTERM\n' \
    "$host" $((ready - started)) "$reaction" $((stopped - started))
  READY_MS+=($((ready - started)))
  REACTION_MS+=("$reaction")
  REPLACE_MS+=($((stopped - started)))
  [ "$reaction" -lt "$DRAIN_MS" ] || FAILED+=("nginx took $reaction ms, not less than the drain ($DRAIN_MS ms)")
}

# access_log_counts FROM_S TO_S: requests nginx answered in that time with a 5xx, and requests it moved
# to another replica after a failed attempt ("a, b" in $upstream_addr).
access_log_counts() {
  awk -F'|' -v from="$1" -v to="$2" '$1 >= from && $1 <= to { n++; if ($2 >= 500) f++; if ($5 ~ /,/) r++; if ($4 > 0.3) s++ }
    END { printf "  nginx: %d requests, %d answered 5xx, %d moved to another replica after a failed attempt, %d slower than 0.3 s\n", n, f, r, s }' \
    "$MESH_WORK/nginx/access.log"
}

rolling_phase() {
  local replaced=0 started rc pid
  log "rolling update: ${limit:-all} actions of $csv, replicas replaced one at a time (drain $DRAIN_MS ms)"
  use_fresh_database rolling
  start_replicas 5001
  started=$(date +%s.%3N)
  start_replay rolling "$limit"
  sleep 2
  while kill -0 "$REPLAY_PID" 2> /dev/null; do
    replace_replica $((replaced % MESH_HOSTS + 1))
    kill -0 "$REPLAY_PID" 2> /dev/null && replaced=$((replaced + 1))
  done
  wait "$REPLAY_PID" || true
  for pid in "${!OLD_LABEL[@]}"; do reap_old "$pid"; done
  rc=$(cat "$MESH_WORK/rolling.rc")
  echo "  $replaced replacements while the replay ran; min / median / max:"
  spread "start to ready (new replica)" "${READY_MS[@]}"
  spread "start to SIGTERM of the old one (a replacement)" "${REPLACE_MS[@]}"
  spread "SIGTERM to out of nginx (old one)" "${REACTION_MS[@]}"
  spread "SIGTERM to exit (old one)" "${EXIT_MS[@]}"
  replay_summary rolling
  access_log_counts "$started" "$(date +%s.%3N)"
  [ "$replaced" -ge "$MESH_HOSTS" ] || FAILED+=("only $replaced replacements during the replay: raise --limit")
  [ "$rc" -eq 0 ] || FAILED+=("the replay through the rolling update failed (exit $rc)")
  check_acknowledged rolling || FAILED+=("acknowledged writes missing after the rolling update")
  stop_replicas
}

# fault_costs NAME AT_S ADDRESS: what losing ADDRESS at AT_S cost, from nginx's log: the requests in
# flight then or sent later that tried it and failed (5xx) or were moved to another replica after the
# failed attempt ("a, b" in $upstream_addr); when nginx last sent it a new request within the first
# fail_timeout (10 s), and how many it tried later (one probe per fail_timeout, moved on).
fault_costs() {
  awk -F'|' -v at="$2" -v addr="$3:" -v name="$1" '
    { start = $1 - $4 }
    start >= at - 5 && index($5, addr) && ($2 >= 500 || $5 ~ /,/) {
      if (start < at + 9.5) {
        if ($2 >= 500) failed++; else moved++
        if (start > last) last = start
        if ($1 > settled) settled = $1
      } else probes++
    }
    END {
      printf "  %s: %d requests failed (5xx), %d moved to another replica; nginx sent it its last new request %d ms after the fault, the last of those requests done %d ms after; %d later probes (moved, one per fail_timeout)\n",
        name, failed, moved, (last > at ? (last - at) * 1000 : 0), (settled - at) * 1000, probes
    }' "$MESH_WORK/nginx/access.log"
}

# wait_for_requests N: until nginx has logged N requests more than when the phase began (LOG_BASE).
wait_for_requests() {
  while [ "$(wc -l < "$MESH_WORK/nginx/access.log")" -lt $((LOG_BASE + $1)) ]; do
    kill -0 "$REPLAY_PID" 2> /dev/null || return 0
    sleep 0.2
  done
}

faults_phase() {
  local killed_at cut_at
  log "faults: $fault_limit actions; a replica SIGKILLed, then another host's link cut"
  use_fresh_database faults
  start_replicas 5001
  LOG_BASE=$(wc -l < "$MESH_WORK/nginx/access.log")
  start_replay faults "$fault_limit"
  wait_for_requests $((fault_limit / 5))
  killed_at=$(date +%s.%3N)
  kill -KILL "${REPLICA_PID["1:${REPLICA_PORT[1]}"]}"
  wait "${REPLICA_PID["1:${REPLICA_PORT[1]}"]}" 2> /dev/null || true
  unset 'REPLICA_PID[1:5001]'
  wait_for_requests $((fault_limit * 11 / 20))
  cut_at=$(date +%s.%3N)
  ip -n "$(host_ns 2)" link set eth0 down
  wait "$REPLAY_PID" || true
  replay_summary faults
  fault_costs "SIGKILL of h1's replica" "$killed_at" "$(host_ip 1)"
  fault_costs "h2's link cut" "$cut_at" "$(host_ip 2)"
  if [ "$(awk -F'|' -v at="$cut_at" '$1 - $4 >= at - 0.5' "$MESH_WORK/nginx/access.log" | wc -l)" -lt 100 ]; then
    FAILED+=("the replay ended before the link was cut: raise --fault-limit")
  fi
  check_acknowledged faults || FAILED+=("acknowledged writes missing after the faults")
}

mesh_hosts 3
[ "$phase" = faults ] || rolling_phase
[ "$phase" = rolling ] || faults_phase
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
log "passed"
