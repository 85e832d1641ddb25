#!/usr/bin/env bash
# Usage: scripts/deploy/offsite-drill.sh database-node --dir DIR [--csv FILE] [--rate N]
#        scripts/deploy/offsite-drill.sh from-nothing --dir DIR --new-dir DIR2 --offsite-dir ODIR [--rate N]
#
# The database node lost, on a cluster of scripts/deploy/cluster.sh (`cluster.sh up --dir DIR`, whose
# off-site host, scripts/deploy/offsite.sh, holds pgBackRest's repo2): PostgreSQL brought up on another node
# from the off-site repository and its WAL, as deploy/swarm/README.md's "The database node lost" says, step
# by step. Prints FIGURE lines; exits 1 on a failure.
#
#   1. Writes: the scenario's first actions replayed through the edge (the writes "before"); then, once the
#      WAL segment holding the last of them is archived in repo2, a second short replay (the writes "after",
#      not archived yet when the node goes: what archive_timeout may lose).
#   2. Node 3 (the database node) lost: its link cut, its engine and containers running on, unreachable.
#   3. The recovery, as the runbook's steps: PostgreSQL, pgbackrest and backup scaled to 0; the label moved
#      to node 2; the data directory restored there from repo2 (`pgbackrest --repo=2 restore`, the newest
#      backup and every archived WAL segment); the release deployed again; web and api restarted (their
#      pooled connections to the lost node); the app answering through the edge.
#   4. What was lost: the acknowledged writes of each replay checked in the database. Before: none may be
#      missing. After: counted.
#
# from-nothing: disaster recovery. The cluster in DIR (made with `--offsite-dir ODIR`, an off-site host that
# outlives it) takes writes as above (a generated scenario's users), then all of it is destroyed (`cluster.sh
# down`: engines stopped, containers, volumes, data directories deleted); from the off-site host and the
# operators' copy of the secrets alone, `cluster.sh up --dir DIR2 --offsite-dir ODIR --restore-from SECRETS`
# brings up a new cluster whose PostgreSQL is restored from repo2. Prints the RTO (the loss to the API ready
# through the new edge) and the RPO (the acknowledged writes lost, before and after the last archived
# segment). DIR2's cluster is left running (`cluster.sh down --dir DIR2`).
# Needs root, node, curl and `npm run build` (the replay tool).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/offsite-lib.sh"
cd "$REPO_ROOT"

command=${1:-}
shift || true
DIR="" NEW_DIR="" OFFSITE_DIR="" csv="${SHARED_DIR:-../shared}/data/minitwit_scenario.csv" rate=40
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?}; shift ;;
    --new-dir) NEW_DIR=${2:?}; shift ;;
    --offsite-dir) OFFSITE_DIR=$(realpath "${2:?}"); shift ;;
    --csv) csv=${2:?}; shift ;;
    --rate) rate=${2:?}; shift ;;
    -h | --help) usage_from_header "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
case "$command" in
  database-node) ;;
  from-nothing)
    if [ -z "$NEW_DIR" ] || [ -z "$OFFSITE_DIR" ]; then die "from-nothing needs --new-dir DIR2 and --offsite-dir ODIR"; fi
    [ ! -e "$NEW_DIR" ] || die "--new-dir $NEW_DIR exists already" ;;
  -h | --help) usage_from_header "$0"; exit 0 ;;
  *) die "give database-node (see --help)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces)"
[ -f "$DIR/cluster.env" ] || die "give --dir DIR of a running cluster (scripts/deploy/cluster.sh up --dir DIR)"
[ -f dist/scripts/minitwit.js ] || die "run npm run build first"
DIR=$(cd "$DIR" && pwd)
# shellcheck disable=SC1091 # written by cluster.sh up
source "$DIR/cluster.env"
# shellcheck disable=SC1091
source "$DIR/offsite.env"
[ -f "$csv" ] || die "no scenario at $csv (--csv)"
csv=$(realpath "$csv")

FAILED=()
fail() { FAILED+=("$*"); log "FAILED: $*"; }
# The figures file only while DIR exists: from-nothing deletes the old cluster's DIR before its next figure.
figure() {
  printf '  FIGURE %-48s %s\n' "$1:" "$2" >&2
  [ ! -d "$DIR" ] || printf '  FIGURE %-48s %s\n' "$1:" "$2" >> "$DIR/figures"
}
on() { local n=$1; shift; DOCKER_HOST="unix://$DIR/node$n/docker.sock" "$@"; }
manager() { DOCKER_HOST="unix://$DIR/node1/docker.sock" "$@"; }
in_node1() { ip netns exec "$NODE1_NETNS" "$@"; }
now_ms() { date +%s%3N; }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
node_id() { on "$1" docker info --format '{{.Swarm.NodeID}}'; }
task_on() { on "$1" docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$2" | head -1; }

# replay NAME CSV FROM COUNT: actions FROM..FROM+COUNT-1 of CSV replayed through the edge from node 1's
# namespace; report NAME.json, acknowledged writes NAME.jsonl.
replay() {
  tail -n +"$(($3 + 1))" "$2" | head -n "$4" > "$DIR/$1.csv"
  in_node1 env "NODE_EXTRA_CA_CERTS=$DIR/caddy-root.crt" node dist/scripts/minitwit.js replay \
    --url "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" --csv "$DIR/$1.csv" --limit "$4" --rate "$rate" --concurrency 8 \
    --timeout-ms 10000 --user "$SIMULATOR_USERNAME" --password "$SIMULATOR_PASSWORD" \
    --acknowledged "$DIR/$1.jsonl" --json --quiet > "$DIR/$1.json" 2> "$DIR/$1.txt"
}
# lost NAME [LATER]: "LOST of WRITTEN" acknowledged writes of replay NAME missing from the database, checked
# from an api replica on node 1. LATER: a replay after NAME whose writes may or may not have survived (not
# archived yet): its writes count as unanswered, so a follow of NAME's that a later unfollow of LATER's may
# have undone is not counted as lost (seen: 7 such pairs counted so when every later write had survived).
lost() {
  local api code=0 written missing
  api=$(task_on 1 minitwit-api)
  [ -n "$api" ] || { echo "unknown (no api replica on node 1)"; return 1; }
  if [ -n "${2:-}" ]; then
    node -e '
      const fs = require("fs");
      const [name, later] = process.argv.slice(1).map((file) => fs.readFileSync(file, "utf8").split("\n").filter(Boolean));
      const unanswered = later.map((line) => JSON.stringify({ ...JSON.parse(line), acknowledged: false }));
      process.stdout.write([...name, ...unanswered].map((line) => line + "\n").join(""));
    ' "$DIR/$1.jsonl" "$DIR/$2.jsonl" > "$DIR/$1-then-$2.jsonl"
    on 1 docker cp "$DIR/$1-then-$2.jsonl" "$api:/tmp/$1.jsonl"
  else
    on 1 docker cp "$DIR/$1.jsonl" "$api:/tmp/$1.jsonl"
  fi
  on 1 docker exec "$api" node dist/scripts/minitwit.js check-acknowledged --file "/tmp/$1.jsonl" > "$DIR/$1-ack.txt" 2>&1 || code=$?
  written=$(sed -n 's/^\([0-9]*\) acknowledged writes:.*/\1/p' "$DIR/$1-ack.txt")
  missing=$(sed -n 's/^\([0-9]*\) acknowledged writes are not in the database.*/\1/p' "$DIR/$1-ack.txt")
  [ "$code" != 0 ] || missing=0
  echo "${missing:-unknown} of ${written:-unknown}"
  [ "$code" = 0 ]
}
# The newest WAL segment in repo2, as pgBackRest on the database node (DB_NODE) sees it.
DB_NODE=3
archived_in_repo2() {
  on "$DB_NODE" timeout 30 docker exec -u postgres "$(task_on "$DB_NODE" pgbackrest)" minitwit-postgres-entrypoint pgbackrest --stanza=minitwit --repo=2 --output=json info \
    | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[0].archive.at(-1).max)'
}
# The node now labelled for the database: the database-node drill moves the label from node 3 to node 2,
# and from-nothing runs after it on the same cluster (node 3 still cut off, its old PostgreSQL running on).
labelled_database_node() {
  local labelled n
  labelled=$(manager docker node ls -q --filter node.label=minitwit.database=true | head -1)
  for n in 1 2 3; do
    [ "$(node_id "$n")" != "$labelled" ] || { echo "$n"; return; }
  done
  return 1
}
# writes LABEL BEFORE FROM COUNT AFTER COUNT2: replay BEFORE (COUNT actions from FROM), then, once the WAL
# segment holding its last write is in repo2, replay AFTER (the next COUNT2 actions). ARCHIVED: the newest
# segment in repo2 after that.
writes() {
  log "$1: $4 actions replayed, then their WAL archived off-site"
  replay "$2" "$csv" "$3" "$4" || fail "replay '$2' exited $? ($(tail -3 "$DIR/$2.txt"))"
  local segment t
  segment=$(psql_db "select pg_walfile_name(pg_current_wal_lsn())")
  t=$(now_ms)
  ARCHIVED=""
  # archive_timeout (60 s) closes the segment; the server pushes it to both repositories.
  for _ in $(seq 120); do
    ARCHIVED=$(archived_in_repo2 2> /dev/null || true)
    [[ -n "$ARCHIVED" && ! "$ARCHIVED" < "$segment" ]] && break
    sleep 2
  done
  figure "$1: writes before in repo2" "segment $segment archived off-site $(secs $(($(now_ms) - t))) s after the replay"
  [[ -n "$ARCHIVED" && ! "$ARCHIVED" < "$segment" ]] || fail "segment $segment not in repo2 after 240 s (newest: ${ARCHIVED:-none})"
  replay "$5" "$csv" $(($3 + $4)) "$6" || fail "replay '$5' exited $? ($(tail -3 "$DIR/$5.txt"))"
  ARCHIVED=$(archived_in_repo2 2> /dev/null || true)
}
# wait_answering SINCE_MS: until the API answers /readyz (it asks PostgreSQL) through the edge; ANSWERED_MS:
# the time since SINCE_MS, empty after 300 s.
wait_answering() {
  ANSWERED_MS=""
  for _ in $(seq 300); do
    if in_node1 curl -sf -o /dev/null --max-time 5 --cacert "$DIR/caddy-root.crt" --resolve "$MINITWIT_API_HOST:$EDGE_HTTPS_PORT:$SMOKE_RESOLVE" \
      "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT/readyz"; then
      ANSWERED_MS=$(($(now_ms) - $1))
      return 0
    fi
    sleep 1
  done
  return 1
}
psql_db() { on "$DB_NODE" docker exec -u postgres "$(task_on "$DB_NODE" postgres)" psql -d minitwit -tAc "$1"; }

database_node() {
  local node2 node3 node3_link before_actions=${BEFORE_ACTIONS:-1500} after_actions=${AFTER_ACTIONS:-200}
  node2=$(node_id 2) node3=$(node_id 3)
  node3_link=$(sed -n 's/^HOST_IF=//p' "$DIR/node3/engine.state")

  # --- 1. the writes before and after the last archived segment ---------------------------------------------
  writes "db node" before 0 "$before_actions" after "$after_actions"

  # --- 2. the database node lost ------------------------------------------------------------------------------
  log "database node: node 3's link cut"
  local cut_ms
  cut_ms=$(now_ms)
  ip link set "$node3_link" down
  figure "db node: newest segment in repo2 at the loss" "${ARCHIVED:-none}"

  # --- 3. the recovery: the runbook's steps -------------------------------------------------------------------
  # 3a. Swarm marks the node Down.
  local down=""
  for _ in $(seq 90); do
    [ "$(manager docker node inspect --format '{{.Status.State}}' "$node3")" = down ] && { down=yes; break; }
    sleep 1
  done
  [ -n "$down" ] || fail "node 3 not marked down within 90 s of its cut"
  figure "db node: node 3 marked down" "$(secs $(($(now_ms) - cut_ms))) s after the cut"
  # 3b. Nothing may start PostgreSQL on an empty directory meanwhile: its services to 0, then the label moved.
  manager docker service scale --detach "${STACK}_postgres=0" "${STACK}_pgbackrest=0" "${STACK}_backup=0" > /dev/null
  manager docker node update --label-rm minitwit.database "$node3" > /dev/null
  manager docker node update --label-add minitwit.database=true "$node2" > /dev/null
  # 3c. The new database node's data directory, restored from repo2: the newest backup, then PostgreSQL
  # fetches every archived WAL segment at its start (restore_command: pgbackrest archive-get).
  local data="$DIR/postgres-data-node2" restore_ms code=0
  install -d -m 0700 -o "$(on 2 docker run --rm --entrypoint id minitwit-postgres:cluster -u postgres)" \
    -g "$(on 2 docker run --rm --entrypoint id minitwit-postgres:cluster -g postgres)" "$data"
  t=$(now_ms)
  on 2 restore_from_repo2 "$data" minitwit-postgres:cluster > "$DIR/restore.log" || code=$?
  restore_ms=$(($(now_ms) - t))
  figure "db node: pgbackrest --repo=2 restore on node 2" "exit $code in $(secs "$restore_ms") s"
  [ "$code" = 0 ] || { tail -5 "$DIR/restore.log" >&2; fail "the restore from repo2 exited $code"; }
  # 3d. The release deployed again (the same images, the new data directory): PostgreSQL, pgbackrest and
  # backup back to one replica each, on the labelled node.
  t=$(now_ms)
  code=0
  deploy_release "$(manager current_image minitwit-api)" "$data" > "$DIR/redeploy.log" 2>&1 || code=$?
  figure "db node: the release deployed again" "exit $code in $(secs $(($(now_ms) - t))) s"
  [ "$code" = 0 ] || { tail -8 "$DIR/redeploy.log" >&2; fail "the deploy after the restore exited $code"; }
  # 3e. Web and api restarted: the replicas from before the loss hold pooled connections to the old
  # PostgreSQL, which a cut-off node never closes (the README's step 5 says what that did).
  t=$(now_ms)
  for service in minitwit-web minitwit-api; do
    manager docker service update --detach --force "${STACK}_$service" > /dev/null
  done
  for service in minitwit-web minitwit-api; do
    manager wait_for_update "$service" 300 || fail "$service's restart after the restore did not complete"
  done
  figure "db node: web and api restarted" "$(secs $(($(now_ms) - t))) s"
  # 3f. The app answering through the edge.
  if wait_answering "$cut_ms"; then
    figure "db node: recovery time (cut to the API ready)" "$(secs "$ANSWERED_MS") s"
  else
    fail "the API not ready through the edge within 300 s of the deploy"
  fi
  local where
  where=$(manager docker service ps "${STACK}_postgres" --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' | head -1)
  figure "db node: postgres task" "$where (node 2 is $node2)"
  grep -m1 'last completed transaction' <(on 2 docker logs "$(task_on 2 postgres)" 2>&1) > "$DIR/recovery-point.txt" || true
  figure "db node: recovery point (PostgreSQL's log)" "$(sed 's/.*\(last completed transaction.*\)/\1/' "$DIR/recovery-point.txt")"

  # --- 4. what was lost ---------------------------------------------------------------------------------------
  local lost_before lost_after
  lost_before=$(lost before after) || fail "acknowledged writes from before the last archived segment lost: $lost_before"
  lost_after=$(lost after) || true
  figure "db node: acknowledged writes lost, before" "$lost_before (archived before the loss: none may be lost)"
  figure "db node: acknowledged writes lost, after" "$lost_after (in the last ${after_actions} actions, not archived yet: archive_timeout 60 s)"
  DB_NODE=2
}

# The whole cluster lost, and a new one from the off-site host alone: the steps of deploy/swarm/README.md's
# "Disaster recovery from nothing".
from_nothing() {
  local before_actions=${DR_BEFORE_ACTIONS:-1000} after_actions=${DR_AFTER_ACTIONS:-200} loss_ms code=0
  # Users of their own (a suffix): the database node drill's last writes may be gone.
  node dist/scripts/minitwit.js scenario --actions $((before_actions + after_actions)) --seed offsite-dr \
    --user-suffix " dr" --out "$DIR/dr.csv" > /dev/null
  csv="$DIR/dr.csv"
  DB_NODE=$(labelled_database_node) || { fail "no node labelled minitwit.database=true"; return; }
  writes "from nothing" dr-before 0 "$before_actions" dr-after "$after_actions"
  figure "from nothing: newest segment in repo2 at the loss" "${ARCHIVED:-none}"
  # What survives the loss: the off-site host, and the operators' copies (the secrets, the drill's logs).
  local kept
  kept=$(mktemp -d /tmp/minitwit-dr-kept.XXXXXX)
  cp "$DIR/secrets.env" "$DIR/dr-before.jsonl" "$DIR/dr-after.jsonl" "$kept/"

  # --- every node lost: engines stopped, their containers, volumes and data directories deleted ------------
  log "from nothing: the three nodes destroyed"
  loss_ms=$(now_ms)
  scripts/deploy/cluster.sh down --dir "$DIR" || fail "the old cluster's removal left something behind"
  figure "from nothing: three nodes destroyed" "$(secs $(($(now_ms) - loss_ms))) s"

  # --- a new cluster from the off-site host alone ----------------------------------------------------------
  DIR=$NEW_DIR
  scripts/deploy/cluster.sh up --dir "$DIR" --offsite-dir "$OFFSITE_DIR" --restore-from "$kept/secrets.env" \
    > "$kept/up.log" 2>&1 || code=$?
  grep FIGURE "$kept/up.log" >&2 || true
  [ "$code" = 0 ] || { tail -15 "$kept/up.log" >&2; fail "the new cluster's up exited $code"; rm -rf "$kept"; return; }
  # shellcheck disable=SC1091 # written by cluster.sh up
  source "$DIR/cluster.env"
  DB_NODE=3
  if wait_answering "$loss_ms"; then
    figure "from nothing: RTO (loss to the API ready)" "$(secs "$ANSWERED_MS") s"
  else
    fail "the new cluster's API not ready through the edge"
  fi
  cp "$kept/dr-before.jsonl" "$kept/dr-after.jsonl" "$DIR/"
  local lost_before lost_after
  lost_before=$(lost dr-before dr-after) || fail "acknowledged writes from before the last archived segment lost: $lost_before"
  lost_after=$(lost dr-after) || true
  figure "from nothing: acknowledged writes lost, before" "$lost_before (archived before the loss: none may be lost)"
  figure "from nothing: RPO, acknowledged writes lost after" "$lost_after (in the last ${after_actions} actions, not archived yet: archive_timeout 60 s)"
  rm -rf "$kept"
}

t0=$(date +%s)
if [ "$command" = database-node ]; then
  database_node
  figure "db node drill (the whole)" "$(($(date +%s) - t0)) s"
else
  from_nothing
  figure "from nothing drill (the whole)" "$(($(date +%s) - t0)) s"
fi
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
log "offsite drill: passed"
