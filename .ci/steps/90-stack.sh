#!/usr/bin/env bash
# The compose stack for real: a private Docker Engine, the README's laptop path, replay, backups, alerts.
#
# As a new operator would, in a copy of the checkout: `cp .env.example .env` with the secrets filled
# in, then `docker compose --profile monitoring up --build --wait` (every service that has a base image
# here: Grafana has no stand-in). Then: every service healthy; the pages and the API answer on the
# published ports; the course's scenario ($SHARED/data/minitwit_scenario.csv; a generated one without
# it) replayed through the API with 0 errors and the exact end state; PostgreSQL restarted 0 times
# (its log); `docker compose down` then `up`: nothing lost. The engine runs in a network namespace of
# its own (scripts/container/engine.sh), so published ports are reached from inside it (`inns`).
# Base images are stand-ins from Debian trixie (scripts/container/stand-ins.sh), cached.
# Runs as root. Leaves no process, mount, namespace or iptables rule behind.
source "$(dirname "$0")/../lib.sh"
# Root, the engine (Debian's docker.io when dockerd is missing: a fresh machine may have the CLI alone),
# Compose and buildx (Debian trixie's: bookworm, this machine's release, has neither), the build.
engine_step 90-stack
REPO=$PWD

# This engine's addresses (other engines on the machine use others).
ENGINE_BIP=${STACK_ENGINE_BIP:-172.31.250.1/24}
ENGINE_POOL=${STACK_ENGINE_POOL:-base=10.231.128.0/18,size=24}
ENGINE_LINK=${STACK_ENGINE_LINK:-10.231.191.252/30}
NETNS=mtstk$$
WORK=$(mktemp -d /tmp/minitwit-stack.XXXXXX)
ENGINE_DIR="$WORK/engine"
# Images and the build cache outlive the run (the app's image takes 12 minutes to build from nothing
# here, 8 of them npm ci); containers, volumes and networks do not (compose down --volumes). Set
# STACK_ENGINE_DATA= (empty) for an engine whose data is under the run's temporary directory.
ENGINE_DATA=${STACK_ENGINE_DATA-$CI_CACHE/stack-engine}
PROJECT="$WORK/minitwit"

figure() { printf '  FIGURE %-42s %s\n' "$1:" "$2" | tee -a "$WORK/figures"; }
say() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
fail() { printf '90-stack: FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  if [ $status -ne 0 ] && [ -d "$PROJECT" ] && [ -S "$ENGINE_DIR/docker.sock" ]; then
    echo "--- docker compose ps, and the last log lines (the step failed)"
    (cd "$PROJECT" && compose ps -a && compose logs --no-color --tail 40) 2>&1 | tail -300
  fi
  if [ -S "$ENGINE_DIR/docker.sock" ] && [ -d "$PROJECT" ]; then
    (cd "$PROJECT" && timeout 120 docker compose --profile '*' down --volumes --remove-orphans > /dev/null 2>&1)
  fi
  # Images replaced by this run's builds (the build cache stays).
  [ -S "$ENGINE_DIR/docker.sock" ] && timeout 60 docker image prune -f > /dev/null 2>&1
  "$REPO/scripts/container/engine.sh" stop --dir "$ENGINE_DIR" 2> /dev/null
  rm -rf "$WORK"
  leftovers=$(ip netns list | grep -c "^$NETNS" || true)
  [ "$leftovers" = 0 ] || echo "90-stack: netns $NETNS left behind" >&2
  exit $status
}
trap cleanup EXIT

docker compose version

# --- the engine, the stand-ins, the replay tool -------------------------------------------------------
eval "$(scripts/container/engine.sh start --dir "$ENGINE_DIR" --bip "$ENGINE_BIP" --pool "$ENGINE_POOL" \
  --netns "$NETNS" --link "$ENGINE_LINK" ${ENGINE_DATA:+--data-root "$ENGINE_DATA"})"
inns() { nsenter "--net=/run/netns/$ENGINE_NETNS" "$@"; }
stand_ins_started=$(date +%s)
scripts/container/stand-ins.sh
figure "stand-ins ready (built or loaded)" "$(($(date +%s) - stand_ins_started)) s"

course_scenario "$WORK/scenario.csv" 5000 ci-stack

# --- the operator's path: a checkout, .env from .env.example, compose up ------------------------------
mkdir -p "$PROJECT"
git ls-files -z --cached --others --exclude-standard | grep -zv '^node_modules/' \
  | tar --null -T - -cf - | tar -C "$PROJECT" -xf -
cd "$PROJECT"
cp .env.example .env
SIMULATOR_PASSWORD=$(openssl rand -hex 12)
set_env() { sed -i "s|^$1=.*|$1=$2|" .env; grep -q "^$1=" .env || echo "$1=$2" >> .env; }
for secret in POSTGRES_PASSWORD MINITWIT_OWNER_PASSWORD MINITWIT_APP_PASSWORD MINITWIT_MONITOR_PASSWORD; do
  set_env "$secret" "$(openssl rand -hex 32)"
done
set_env SESSION_SECRET "$(openssl rand -hex 32)"
set_env SIMULATOR_USERNAME simulator
set_env BACKUP_SIGNING_KEY "$(openssl rand -hex 32)"
set_env SIMULATOR_PASSWORD "$SIMULATOR_PASSWORD"
set_env GRAFANA_ADMIN_PASSWORD "$(openssl rand -hex 16)"
set_env ALERTMANAGER_WEBHOOK_URL http://alert-receiver:9000/
# PostgreSQL's own apt repository is out of reach here: the backup image takes trixie's pg_dump.
set_env POSTGRES_CLIENT_SOURCE debian
set_env MINITWIT_VERSION "ci-$(git -C "$REPO" rev-parse --short HEAD)"
export COMPOSE_FILE=compose.yaml:.ci/stack/compose.test.yaml
compose() { docker compose --profile monitoring "$@"; }
# Every service of the default and monitoring profiles that has a base image here (Grafana has none).
SERVICES=(postgres pgbackrest backup minitwit-web minitwit-api prometheus alertmanager node-exporter
  postgres-exporter alert-receiver)
WEB=http://127.0.0.1:5000
API=http://127.0.0.1:5001

say "docker compose --profile monitoring up --build --wait (${#SERVICES[@]} services)"
up_started=$(date +%s)
compose up --build --wait --quiet-pull "${SERVICES[@]}"
figure "compose up --build --wait" "$(($(date +%s) - up_started)) s"

# Every service running and healthy (each has a healthcheck).
check_healthy() {
  local service id state health healthy=0
  for service in "${SERVICES[@]}"; do
    id=$(compose ps -q "$service")
    [ -n "$id" ] || fail "$service: no container"
    state=$(docker inspect --format '{{.State.Status}}' "$id")
    health=$(docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id")
    if [ "$state" != running ] || [ "$health" != healthy ]; then fail "$service: $state, health $health"; fi
    healthy=$((healthy + 1))
  done
  figure "services healthy ($1)" "$healthy of ${#SERVICES[@]}"
}
check_healthy "after up"
for image in minitwit:local minitwit-backup:local minitwit-postgres:local; do
  figure "image size $image" "$(docker image inspect --format '{{.Size}}' "$image" | numfmt --to=iec)"
done

expect_page() {
  local url=$1 pattern=$2 code
  code=$(inns curl -s -o "$WORK/body" -w '%{http_code}' --max-time 10 "$url" || true)
  [ "$code" = 200 ] || fail "GET $url: HTTP ${code:-none}"
  grep -q "$pattern" "$WORK/body" || fail "GET $url: no '$pattern' in the page"
  say "GET $url: 200, '$pattern'"
}
expect_page "$WEB/public" 'Public Timeline'
expect_page "$API/latest" 'latest'

# Least privilege: who is connected, and that none of them is a superuser.
psql_app() { compose exec -T postgres psql -U postgres -d minitwit -Atc "$1"; }
roles=$(psql_app "SELECT string_agg(DISTINCT usename || CASE WHEN rolsuper THEN ' (SUPERUSER)' ELSE '' END, ', ')
  FROM pg_stat_activity JOIN pg_roles ON rolname = usename WHERE datname = 'minitwit' AND backend_type = 'client backend'
  AND pid <> pg_backend_pid()")
figure "roles connected to minitwit" "$roles"
if [[ "$roles" != *minitwit_app* || "$roles" == *SUPERUSER* ]]; then fail "the app's connections: $roles"; fi
tables_owner=$(psql_app "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")
[ "$tables_owner" = minitwit ] || fail "tables owned by '$tables_owner', expected minitwit (the migrations' role)"

# --- the course's scenario through the published API port ---------------------------------------------
# PostgreSQL's restarts: crash recoveries in its log (a backend "terminated by signal" or an archiver
# "exited with exit code" resets every connection), and the container's own restarts.
pg_restarts() {
  local resets
  resets=$(compose logs --no-color postgres 2> /dev/null | grep -c 'terminating any other active server processes' || true)
  echo $((resets + $(docker inspect --format '{{.RestartCount}}' "$(compose ps -q postgres)")))
}
# replay LABEL CSV [replay options]
replay() {
  local label=$1 csv=$2 out="$WORK/replay-$1.json"
  shift 2
  inns nice -n 10 node "$REPO/dist/scripts/minitwit.js" replay --url "$API" --csv "$csv" --concurrency 8 \
    --timeout-ms 10000 --password "$SIMULATOR_PASSWORD" --quiet --json "$@" > "$out" 2> "$WORK/replay-$label.txt" \
    || { cat "$WORK/replay-$label.txt"; fail "replay ($label): errors or a wrong end state"; }
  grep -E 'actions sent|latency \(|errors:|end state|latest' "$WORK/replay-$label.txt" | sed 's/^/    /'
  figure "replay ($label): errors" "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).errors.total' "$out")"
  figure "replay ($label): p99" "$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1])).latencyMs.p99' "$out") ms"
}
# A reply later than 10 s is an error. The simulator's own limit (300 ms) is not judged here: the
# registrations' password hashing shares 2 cores with the replay and other jobs (p99 is printed).
# STACK_SCENARIO_LIMIT=K replays only the first K lines (a quicker run while changing this step).
limit=()
[ -z "${STACK_SCENARIO_LIMIT:-}" ] || limit=(--limit "$STACK_SCENARIO_LIMIT")
say "replaying ${STACK_SCENARIO_LIMIT:-$(wc -l < "$SCENARIO")} scenario lines through $API (concurrency 8, a new connection per request)"
replay course "$SCENARIO" "${limit[@]}"
restarts=$(pg_restarts)
figure "PostgreSQL restarts (log + container)" "$restarts"
[ "$restarts" = 0 ] || fail "PostgreSQL restarted $restarts times"

# --- backups: pgBackRest's stanza, a full backup when asked, WAL archived; the pg_dump service -----------
pgbackrest() { compose exec -T pgbackrest pgbackrest --stanza=minitwit "$@"; }
say "a full base backup, asked for"
pgbackrest --type=full backup > "$WORK/pgbackrest-backup.log" 2>&1 || { cat "$WORK/pgbackrest-backup.log"; fail "pgbackrest backup"; }
pgbackrest info | sed 's/^/    /'
pgbackrest --output=json info > "$WORK/pgbackrest-info.json"
full_backups=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1]))[0].backup.filter((b) => b.type === "full").length' "$WORK/pgbackrest-info.json")
wal_range=$(node -p 'const a = JSON.parse(require("fs").readFileSync(process.argv[1]))[0].archive[0]; a ? a.min + ".." + a.max : ""' "$WORK/pgbackrest-info.json")
if [ "$full_backups" -lt 1 ] || [ -z "$wal_range" ]; then
  fail "pgbackrest info: $full_backups full backups, archived WAL '$wal_range'"
fi
figure "pgBackRest: full backups, archived WAL" "$full_backups, $wal_range"
say "a pg_dump backup by the backup service, asked for"
compose exec -T backup node dist/scripts/minitwit.js backup > "$WORK/dump-backup.log" 2>&1 || { cat "$WORK/dump-backup.log"; fail "the backup service's backup"; }
figure "pg_dump backup (backup service)" "$(compose exec -T backup sh -c 'ls /backups/*.sql.gz' | tail -1)"

# --- point-in-time recovery with the README's commands, on this stack ----------------------------------
# The newest archived segment is the one just switched away from (the archiver catches up within seconds).
wal_archived_upto() {
  local target=$1
  for _ in $(seq 60); do
    [[ "$(psql_app 'SELECT last_archived_wal FROM pg_stat_archiver')" > "$target" ]] && return 0
    [ "$(psql_app 'SELECT last_archived_wal FROM pg_stat_archiver')" = "$target" ] && return 0
    sleep 2
  done
  return 1
}
simulator() { inns curl -s -o /dev/null -w '%{http_code}' -u "simulator:$SIMULATOR_PASSWORD" -H 'Content-Type: application/json' "$@"; }
[ "$(simulator -X POST "$API/register" -d '{"username":"pitr-probe","email":"pitr@example.org","pwd":"pitr-probe-pw"}')" = 204 ] || fail "register pitr-probe"
[ "$(simulator -X POST "$API/msgs/pitr-probe" -d '{"content":"PITR A: before the chosen time"}')" = 204 ] || fail "tweet A"
PITR_TIME=$(psql_app "SELECT now()")
sleep 1
[ "$(simulator -X POST "$API/msgs/pitr-probe" -d '{"content":"PITR B: after the chosen time"}')" = 204 ] || fail "tweet B"
wal_archived_upto "$(psql_app 'SELECT pg_walfile_name(pg_switch_wal())')" || fail "the WAL holding B was not archived"
say "PITR to $PITR_TIME (A before it, B after), the README's three commands"
pitr_started=$(date +%s)
compose stop minitwit-web minitwit-api postgres
compose run --rm --no-deps postgres minitwit-pitr-restore --time "$PITR_TIME" | tail -3
compose up -d --wait "${SERVICES[@]}"
figure "PITR: README commands to healthy" "$(($(date +%s) - pitr_started)) s"
pitr_rows=$(psql_app "SELECT string_agg(left(text, 6), ', ' ORDER BY text) FROM messages WHERE text LIKE 'PITR %'")
[ "$pitr_rows" = "PITR A" ] || fail "after PITR: '$pitr_rows', expected A only"
figure "PITR: messages back" "$pitr_rows (B gone)"
[ "$(simulator -X POST "$API/msgs/pitr-probe" -d '{"content":"after PITR: writes work"}')" = 204 ] || fail "a write after PITR"

# --- the repository unwritable under a replay: no error, no restart, the alert; then it catches up -------
# A scenario of its own (other users), so that its end state can be checked on this database.
node "$REPO/dist/scripts/minitwit.js" scenario --actions 5000 --seed ci-stack-unwritable --out "$WORK/unwritable.csv"
restarts_before=$(pg_restarts)
compose exec -T -u root postgres chmod 000 /var/lib/pgbackrest/archive
unwritable_at=$(date +%s)
# A segment to archive at once (archive_timeout would switch within a minute of writes; here it did not
# always, right after a PITR's promotion), so that every push fails while the replay runs.
psql_app 'SELECT pg_switch_wal()' > /dev/null
say "pgBackRest's repository unwritable; replaying 5000 more actions"
replay unwritable "$WORK/unwritable.csv"
psql_app 'SELECT pg_switch_wal()' > /dev/null
figure "archive attempts failed during that replay" "$(psql_app 'SELECT failed_count FROM pg_stat_archiver')"
restarts=$(($(pg_restarts) - restarts_before))
figure "PostgreSQL restarts, repository unwritable" "$restarts"
[ "$restarts" = 0 ] || fail "PostgreSQL restarted $restarts times while archiving failed"

# The receiver's notifications (one JSON line each): `notified STATUS ALERT [JOB] SINCE` succeeds when one
# with that alert in that status arrived after SINCE (Unix seconds).
notified() {
  compose logs --no-color alert-receiver 2> /dev/null | sed -n 's/^[^{]*{/{/p' | node -e '
    const [status, name, job, since] = process.argv.slice(1);
    const lines = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const hit = lines.some((n) => Date.parse(n.receivedAt) / 1000 >= Number(since) && n.alerts.some(
      (a) => a.alertname === name && a.status === status && (!job || a.job === job)));
    process.exit(hit ? 0 : 1);' "$1" "$2" "$3" "$4"
}
wait_notified() {
  local deadline=$(($(date +%s) + $5))
  until notified "$1" "$2" "$3" "$4"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 2
  done
}
wait_notified firing MinitwitWalArchivingFailing '' "$unwritable_at" 300 \
  || fail "no MinitwitWalArchivingFailing notification within 5 minutes of the repository going unwritable"
figure "WAL archiving alert delivered after" "$(($(date +%s) - unwritable_at)) s (repository unwritable at t=0)"
compose exec -T -u root postgres chmod 750 /var/lib/pgbackrest/archive
writable_at=$(date +%s)
wal_archived_upto "$(psql_app 'SELECT pg_walfile_name(pg_switch_wal())')" || fail "archiving did not catch up"
figure "WAL archiving caught up after" "$(($(date +%s) - writable_at)) s ($(psql_app "SELECT archived_count || ' segments archived, ' || failed_count || ' failed attempts in all' FROM pg_stat_archiver"))"
pgbackrest check > /dev/null 2>&1 || fail "pgbackrest check after the repository came back"

# --- alerts that reach someone: the api service stopped, then started ---------------------------------
say "stopping minitwit-api: MinitwitInstanceDown must reach the webhook receiver"
compose stop minitwit-api
stopped_at=$(date +%s)
wait_notified firing MinitwitInstanceDown minitwit-api "$stopped_at" 300 || fail "no firing notification within 5 minutes"
figure "alert delivered (api stopped -> webhook)" "$(($(date +%s) - stopped_at)) s"
compose start minitwit-api
compose up -d --wait minitwit-api
started_at=$(date +%s)
wait_notified resolved MinitwitInstanceDown minitwit-api "$started_at" 300 || fail "no resolved notification within 5 minutes"
figure "resolution delivered (api healthy -> webhook)" "$(($(date +%s) - started_at)) s"

# --- down, then up: nothing lost ------------------------------------------------------------------------
counts() { psql_app "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM messages) || ' messages, ' || (SELECT count(*) FROM follows) || ' follows'"; }
before=$(counts)
compose down
compose up --wait "${SERVICES[@]}"
after=$(counts)
[ "$before" = "$after" ] || fail "down/up: $before before, $after after"
figure "down then up: rows kept" "$after"
check_healthy "after down and up"
expect_page "$WEB/public" 'Public Timeline'

# --- the edge: Caddy in front (compose.edge.yaml), HTTPS with its own CA (no ACME server here) --------
set_env MINITWIT_WEB_HOST minitwit.test
set_env MINITWIT_API_HOST api.minitwit.test
set_env ACME_EMAIL ops@example.org
set_env CADDY_TLS internal
export COMPOSE_FILE=compose.yaml:compose.edge.yaml:.ci/stack/compose.test.yaml
say "the edge: compose.edge.yaml, apps behind Caddy"
edge_started=$(date +%s)
compose up -d --wait "${SERVICES[@]}" caddy
figure "edge up (apps recreated behind Caddy)" "$(($(date +%s) - edge_started)) s"
compose exec -T caddy cat /data/caddy/pki/authorities/local/root.crt > "$WORK/caddy-root.crt"
https() { inns curl -sS --cacert "$WORK/caddy-root.crt" --resolve minitwit.test:443:127.0.0.1 \
  --resolve api.minitwit.test:443:127.0.0.1 --resolve minitwit.test:80:127.0.0.1 "$@"; }
# Caddy signs the sites' certificates as it starts: the first request may come before.
for _ in $(seq 30); do https -D "$WORK/edge-headers" -o "$WORK/body" https://minitwit.test/public 2> /dev/null && break; sleep 1; done
grep -q '^HTTP/[0-9.]* 200' "$WORK/edge-headers" || fail "https://minitwit.test/public: $(head -1 "$WORK/edge-headers")"
grep -q 'Public Timeline' "$WORK/body" || fail "https://minitwit.test/public is not the public timeline"
hsts=$(grep -i '^strict-transport-security:' "$WORK/edge-headers" | tr -d '\r')
[ -n "$hsts" ] || fail "no HSTS header"
redirect=$(https -o /dev/null -w '%{http_code} %{redirect_url}' http://minitwit.test/public)
[[ "$redirect" == 30[18]\ https://minitwit.test/public ]] || fail "http://: $redirect, expected a redirect to https"
[ "$(https -o /dev/null -w '%{http_code}' -u "simulator:$SIMULATOR_PASSWORD" https://api.minitwit.test/latest)" = 200 ] \
  || fail "https://api.minitwit.test/latest"
cookie=$(https -o /dev/null -D - -d 'username=pitr-probe&password=pitr-probe-pw' https://minitwit.test/login \
  | grep -i '^set-cookie: session=' | tr -d '\r')
[[ "$cookie" == *Secure* ]] || fail "the session cookie over HTTPS is not Secure: ${cookie:-none}"
figure "edge: HTTPS page, HSTS, redirect" "200, ${hsts#*: }, http -> $redirect"
figure "edge: session cookie" "${cookie#*: session=*; }"
for port in 5000 5001; do
  ! inns curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$port/healthz" || fail "port $port still reachable with the edge on"
done
figure "edge: app ports 5000/5001 from outside" "refused (not published)"

figure "step duration" "$(($(date +%s) - step_started)) s"
echo "--- figures"
cat "$WORK/figures"
