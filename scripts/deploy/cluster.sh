#!/usr/bin/env bash
# Usage: scripts/deploy/cluster.sh test [--faults [--schema-change]] [--csv FILE] [--rate N]
#        scripts/deploy/cluster.sh up --dir DIR [--offsite-dir ODIR] [--restore-from FILE]
#                                                    (then: scripts/deploy/cluster.sh down --dir DIR)
#
# A swarm of three hosts on this machine, as production runs it (deploy/terraform: a manager, a worker and
# a database node): three Docker Engines, each in a network namespace of its own with its own address
# (scripts/container/engine.sh: the namespace's link to this machine, whose routing joins them), `docker
# swarm init` on node 1 and `docker swarm join` of nodes 2 and 3 as workers, node 3 labelled
# minitwit.database=true (by node ID: the three share one hostname), the images loaded into every engine
# (no registry here), then the release script (scripts/deploy/stack-deploy.sh --local against the manager)
# with deploy/swarm/stack.test.yml: only what this kernel lacks differs (no IPVS: dnsrr and host-mode ports;
# no ESP: unencrypted overlays). Overlay traffic (VXLAN) and the swarm's gossip cross the namespaces. A fourth
# namespace is the off-site host (scripts/deploy/offsite.sh: an S3 server over TLS in place of Spaces):
# pgBackRest's repo2 and the backup service's uploads go there (deploy/swarm/stack.offsite.yml).
#
#   test  up, release 1, checks, down. Checks: every replica on the node production puts it on (web and
#         api spread one per node, PostgreSQL and its backups on the database node, the edge on the
#         manager); the smoke test through the edge (Caddy on node 1 reaching the app's replicas on the
#         other nodes, and they PostgreSQL on node 3); the nodes Ready; repo2 on the off-site host holding a
#         full backup and archived WAL. Prints FIGURE lines; exits 1 on a
#         failure. Nothing is left behind. Then nodes 2 and 3 are promoted (three managers, as production
#         runs), and the edge, Prometheus and Alertmanager stay on node 1.
#   --faults  (test) then the drills, each printing its figures (CI step 97):
#         (a) under a replay of the course's scenario (--csv, paced at --rate a second) through the edge,
#             node 2 drained, then active again and web and api spread again by `docker service update
#             --force --update-order stop-first`: 0 errors, every acknowledged write in the database, the times printed;
#         (b)+(c) under a second replay, node 2 lost (its link cut): the time until the others mark it
#             down, until the edge's DNS drops its replicas and until web and api run their full replicas
#             on nodes 1 and 3; with it a manager lost, release 2 (another image) succeeds with 2 of 3
#             managers; the replay's errors counted, each explained by the cut (requests in flight to node
#             2, the loss part below says exactly which), every acknowledged write in the database; then
#             release 2's smoke test through the edge; the link back, the time until node 2 is Ready;
#         (d) --schema-change: a schema change (messages.text replaced by messages.content) in three
#             releases built with scripts/drill/schema-change, each rolled across the three nodes under a
#             replay through the edge (scripts/deploy/cluster-schema-drill.sh): 0 errors, every acknowledged
#             write in the database (CI step 97 runs it).
#   up    the same up to the checks, then leaves the cluster running and prints how to reach it (a
#         developer's three nodes: DOCKER_HOST of each, `ip netns exec NODE ...` for the edge).
#         --offsite-dir ODIR: an off-site host already running (`scripts/deploy/offsite.sh start --dir ODIR`),
#         which outlives the cluster (`down` leaves it); otherwise `up` starts one in DIR. --restore-from FILE:
#         a new cluster after losing every node (scripts/deploy/offsite-drill.sh from-nothing): the secrets'
#         values from FILE (DIR/secrets.env of the cluster lost: the operators' copy), and PostgreSQL's data
#         directory restored from repo2 on the off-site host before release 1, not a new database.
#   down  stops what `up` started in DIR: the stack, the swarm, the three engines by their pids, the off-site
#         host, the namespaces, the routing rules.
#
# Node 1's engine keeps its images and build cache in $MINITWIT_CI_CACHE/cluster-engine (the app's image is
# built there the first time; then nothing changes, nothing is rebuilt); nodes 2 and 3 keep theirs in
# cluster-engine-2 and -3 and get by `docker save | docker load` only the images they lack. Needs root, iproute2, iptables, curl, node and `npm run build`.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/offsite-lib.sh"
cd "$REPO_ROOT"

command=${1:-}
shift || true
OFFSITE_DIR="" RESTORE_FROM="" DIR="" FAULTS=false SCHEMA_CHANGE=false csv="${SHARED_DIR:-../shared}/data/minitwit_scenario.csv" rate=40
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?}; shift ;;
    --faults) FAULTS=true ;;
    --schema-change) SCHEMA_CHANGE=true ;;
    --offsite-dir) OFFSITE_DIR=$(realpath "${2:?}"); shift ;;
    --restore-from) RESTORE_FROM=$(realpath "${2:?}"); shift ;;
    --csv) csv=${2:?}; shift ;;
    --rate) rate=${2:?}; shift ;;
    -h | --help) usage_from_header "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
case "$command" in
  test) ;;
  up | down) [ -n "$DIR" ] || die "$command needs --dir DIR" ;;
  -h | --help) usage_from_header "$0"; exit 0 ;;
  *) die "give test, up or down (see --help)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run as root (Docker engines and network namespaces)"
if $FAULTS; then
  [ "$command" = test ] || die "--faults goes with test"
  [ -f "$csv" ] || die "no scenario at $csv (--csv)"
  [ -f dist/scripts/minitwit.js ] || die "run npm run build first"
  csv=$(realpath "$csv")
fi

CI_CACHE=${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}
# Each node's images outlive the run in a data root of its own (node 1's also holds the build cache): a
# run loads into nodes 2 and 3 only the images they lack, and removes no gigabytes at the end.
# CLUSTER_SLOT (0 to 3, default 0) lets clusters run side by side, each with its own addresses and data roots
# (a developer's or a helper's cluster beside CI's).
SLOT=${CLUSTER_SLOT:-0}
[[ $SLOT =~ ^[0-3]$ ]] || die "CLUSTER_SLOT must be 0, 1, 2 or 3 (it is '$SLOT')"
engine_data_base=${CLUSTER_ENGINE_DATA:-$CI_CACHE/cluster-engine}
[ "$SLOT" = 0 ] || engine_data_base+="-slot$SLOT"
node_data() { if [ "$1" = 1 ]; then echo "$engine_data_base"; else echo "$engine_data_base-$1"; fi; }
NODES=(1 2 3)
# Node i: namespace mtcl<i>-<pid>, link 10.234.<254 - slot>.<4i>/30 (this machine .4i+1, the node .4i+2),
# its own bridge and pool for containers; the swarm's overlays from 10.234.128.0/18 (inside the nodes).
# Other engines on this machine (CI steps 90 and 95) use other ranges.
LINK_OCTET=$((254 - SLOT))
CLUSTER_NET=10.234.$LINK_OCTET.0/24
node_addr() { echo "10.234.$LINK_OCTET.$((4 * $1 + 2))"; }
export STACK=minitwit EDGE_HTTP_PORT=28080 EDGE_HTTPS_PORT=28443
export MINITWIT_WEB_HOST=web.minitwit.test MINITWIT_API_HOST=api.minitwit.test SMOKE_RESOLVE=127.0.0.1
# The off-site host (scripts/deploy/offsite.sh): the fourth namespace, link 10.234.<254 - slot>.16/30, whose
# S3-compatible server stands for Spaces (deploy/swarm/stack.offsite.yml points repo2 and the backups at it).
OFFSITE_LINK=10.234.$LINK_OCTET.16/30
export BACKUP_S3_REGION=us-east-1
export RESOLVE_IMAGE=never
FAILED=()
fail() { FAILED+=("$*"); log "FAILED: $*"; }
figure() { printf '  FIGURE %-48s %s\n' "$1:" "$2" | tee -a "$DIR/figures" >&2; }
on() { local n=$1; shift; DOCKER_HOST="unix://$DIR/node$n/docker.sock" "$@"; }

# The state `up` leaves for `down`: the namespaces' names.
state_file() { echo "$DIR/cluster.state"; }

down() {
  set +e
  local n netns left_offsite=0
  # shellcheck disable=SC1090
  [ -f "$(state_file)" ] && source "$(state_file)"
  if [ -S "$DIR/node1/docker.sock" ]; then
    on 1 docker stack rm "$STACK" > /dev/null 2>&1
  fi
  for n in 3 2 1; do
    [ -S "$DIR/node$n/docker.sock" ] || continue
    on "$n" docker swarm leave --force > /dev/null 2>&1
    # shellcheck disable=SC2046 # one id per word
    on "$n" timeout 120 docker rm -f $(on "$n" docker ps -aq) > /dev/null 2>&1
    # Every volume by name (`volume prune` once left a bind volume behind in CI step 95's engine).
    # shellcheck disable=SC2046 # one name per word
    on "$n" timeout 60 docker volume rm -f $(on "$n" docker volume ls -q) > /dev/null 2>&1
    on "$n" timeout 60 docker network prune -f > /dev/null 2>&1
  done
  on 1 timeout 60 docker image prune -f > /dev/null 2>&1
  [ ! -d "$DIR/offsite" ] || scripts/deploy/offsite.sh stop --dir "$DIR/offsite" || left_offsite=1
  # The three at once: each waits for its daemon and removes its data (nodes 2 and 3 hold gigabytes).
  for n in 1 2 3; do
    [ ! -d "$DIR/node$n" ] || scripts/container/engine.sh stop --dir "$DIR/node$n" &
  done
  wait
  # The rule that keeps traffic between the nodes un-NATed (engine.sh's MASQUERADE would rewrite it).
  # -w (here and in engine.sh, offsite.sh): wait for iptables' lock, which clusters and engines started side
  # by side take at once; without it a removal failed now and then, silently, and left its rule behind.
  iptables -w -t nat -D POSTROUTING -s "$CLUSTER_NET" -d "$CLUSTER_NET" -j RETURN -m comment --comment "minitwit-cluster" 2> /dev/null
  for netns in ${CLUSTER_NETNS:-}; do rm -rf "/etc/netns/$netns"; done
  rmdir /etc/netns 2> /dev/null # when no other namespace has a file there
  local left=$left_offsite
  for netns in ${CLUSTER_NETNS:-}; do
    if ip netns list | grep -q "^$netns\b"; then echo "cluster: netns $netns left behind" >&2; left=1; fi
  done
  if grep -q " $DIR/" /proc/mounts; then echo "cluster: mounts under $DIR left behind" >&2; left=1; fi
  for pid in ${CLUSTER_DOCKERD_PIDS:-}; do
    if kill -0 "$pid" 2> /dev/null; then echo "cluster: dockerd $pid still running" >&2; left=1; fi
  done
  rm -rf "$DIR"
  return "$left"
}

if [ "$command" = down ]; then
  DIR=$(cd "$DIR" && pwd)
  down
  exit $?
fi

if [ "$command" = test ]; then DIR=$(mktemp -d /tmp/minitwit-cluster.XXXXXX); else mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd); fi
: > "$DIR/figures"
if [ "$command" = test ]; then
  cleanup() {
    local code=$?
    trap - EXIT
    [ -z "${REPLAY_PID:-}" ] || { kill "$REPLAY_PID" 2> /dev/null; wait "$REPLAY_PID" 2> /dev/null; }
    down || code=1
    exit "$code"
  }
  trap cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT HUP
fi
started=$(date +%s)

# --- three hosts -------------------------------------------------------------------------------------------
iptables -w -t nat -I POSTROUTING -s "$CLUSTER_NET" -d "$CLUSTER_NET" -j RETURN -m comment --comment "minitwit-cluster"
netns_names="" dockerd_pids=""
for n in "${NODES[@]}"; do
  netns="mtcl$n-$$"
  data=(--data-root "$(node_data "$n")")
  scripts/container/engine.sh start --dir "$DIR/node$n" --bip "172.31.$((253 + n - 1)).1/24" \
    --pool "base=10.234.$((16 * n)).0/20,size=24" --netns "$netns" --link "10.234.$LINK_OCTET.$((4 * n))/30" \
    "${data[@]}" > /dev/null
  netns_names+=" $netns"
  dockerd_pids+=" $(cat "$DIR/node$n/docker.pid")"
  mkdir -p "/etc/netns/$netns"
  printf '127.0.0.1 localhost %s %s\n' "$MINITWIT_WEB_HOST" "$MINITWIT_API_HOST" > "/etc/netns/$netns/hosts"
  printf 'CLUSTER_NETNS="%s"\nCLUSTER_DOCKERD_PIDS="%s"\n' "$netns_names" "$dockerd_pids" > "$(state_file)"
done
NODE1_NETNS="mtcl1-$$"
if [ -n "$OFFSITE_DIR" ]; then
  cp "$OFFSITE_DIR/offsite.env" "$DIR/offsite.env"
else
  scripts/deploy/offsite.sh start --dir "$DIR/offsite" --link "$OFFSITE_LINK" > "$DIR/offsite.env"
fi
# shellcheck disable=SC1091 # written just above
source "$DIR/offsite.env"
export OFFSITE_HOST OFFSITE_ADDR BACKUP_S3_BUCKET=$OFFSITE_BUCKET BACKUP_S3_ENDPOINT=https://$OFFSITE_HOST
in_node1() { ip netns exec "$NODE1_NETNS" "$@"; }
# A run killed before its cleanup may have left a swarm, containers or volumes in a node's data root.
for n in "${NODES[@]}"; do
  on "$n" docker swarm leave --force > /dev/null 2>&1 || true
  # shellcheck disable=SC2046 # one id per word
  on "$n" docker rm -f $(on "$n" docker ps -aq) > /dev/null 2>&1 || true
  # shellcheck disable=SC2046 # one name per word
  on "$n" docker volume rm -f $(on "$n" docker volume ls -q) > /dev/null 2>&1 || true
done

t=$(date +%s)
on 1 docker swarm init --advertise-addr "$(node_addr 1)" --default-addr-pool 10.234.128.0/18 > /dev/null
token=$(on 1 docker swarm join-token -q worker)
for n in 2 3; do
  on "$n" docker swarm join --token "$token" --advertise-addr "$(node_addr "$n")" "$(node_addr 1):2377" > /dev/null
done
declare -A NODE_ID NODE_OF
for n in "${NODES[@]}"; do
  NODE_ID[$n]=$(on "$n" docker info --format '{{.Swarm.NodeID}}')
  NODE_OF[${NODE_ID[$n]}]=node$n
done
on 1 docker node update --label-add minitwit.database=true "${NODE_ID[3]}" > /dev/null
ready_nodes() { on 1 docker node ls --format '{{.Status}}' | grep -c '^Ready$' || true; }
ready=$(count_until 3 60 ready_nodes)
figure "swarm formed (3 engines, 1 manager)" "$ready of 3 nodes Ready after $(($(date +%s) - t)) s"
[ "$ready" = 3 ] || die "the three nodes did not become Ready"

# --- images: built on node 1, loaded into 2 and 3 -------------------------------------------------------------
t=$(date +%s)
DOCKER_HOST="unix://$DIR/node1/docker.sock" scripts/container/stand-ins.sh node postgres prometheus alertmanager \
  node-exporter postgres-exporter caddy > /dev/null
on 1 docker build --quiet --target app --tag minitwit:cluster-1 . > /dev/null
on 1 docker build --quiet --target backup --build-arg POSTGRES_CLIENT_SOURCE=debian --tag minitwit-backup:cluster . > /dev/null
on 1 docker build --quiet --file deploy/postgres/Dockerfile --tag minitwit-postgres:cluster . > /dev/null
# Release 2 (the fault drills' release): the same code under another tag and label, a new image to Swarm.
printf 'FROM minitwit:cluster-1\nLABEL org.minitwit.release=2\n' | on 1 docker build --quiet --tag minitwit:cluster-2 - > /dev/null
figure "images on node 1 (built or from its cache)" "$(($(date +%s) - t)) s"
t=$(date +%s)
images=(minitwit:cluster-1 minitwit:cluster-2 minitwit-backup:cluster minitwit-postgres:cluster prom/node-exporter:v1.9.1
  quay.io/prometheuscommunity/postgres-exporter:v0.17.1 prom/alertmanager:v0.28.1 prom/prometheus:v3.5.0)
loaded=0
for n in 2 3; do
  # Only what the node lacks, or holds under another image ID.
  missing=()
  for image in "${images[@]}"; do
    [ "$(on "$n" docker image inspect --format '{{.Id}}' "$image" 2> /dev/null)" = "$(on 1 docker image inspect --format '{{.Id}}' "$image")" ] \
      || missing+=("$image")
  done
  [ ${#missing[@]} -gt 0 ] || continue
  loaded=$((loaded + ${#missing[@]}))
  on 1 docker save "${missing[@]}" | on "$n" docker load --quiet > /dev/null
done
figure "images loaded into nodes 2 and 3" "$loaded loaded (the rest already there) in $(($(date +%s) - t)) s"

# --- secrets, as deploy/swarm/README.md creates them ----------------------------------------------------------
# Every value also in DIR/secrets.env, the operators' copy kept apart (--restore-from reads one back).
secret() {
  local value=$2
  [ -z "$RESTORE_FROM" ] || value=$(sed -n "s/^$1=//p" "$RESTORE_FROM")
  printf '%s' "$value" | on 1 docker secret create "$1" - > /dev/null
  printf '%s=%s\n' "$1" "$value" >> "$DIR/secrets.env"
}
: > "$DIR/secrets.env"
chmod 600 "$DIR/secrets.env"
create_test_secrets secret
if [ -n "$RESTORE_FROM" ]; then
  SIMULATOR_USERNAME=$(sed -n 's/^minitwit_simulator_username=//p' "$RESTORE_FROM")
  SIMULATOR_PASSWORD=$(sed -n 's/^minitwit_simulator_password=//p' "$RESTORE_FROM")
fi
# The off-site host's key pair and its CA (production's Spaces key pair; the system's CAs there).
secret minitwit_spaces_key "$OFFSITE_KEY"
secret minitwit_spaces_secret "$OFFSITE_SECRET"
on 1 docker secret create minitwit_offsite_ca "$OFFSITE_CA" > /dev/null
# PostgreSQL's data directory on the database node (the machine's file system is every node's).
export POSTGRES_DATA_DIR="$DIR/postgres-data"
install -d -m 0700 -o "$(on 1 docker run --rm --entrypoint id minitwit-postgres:cluster -u postgres)" \
  -g "$(on 1 docker run --rm --entrypoint id minitwit-postgres:cluster -g postgres)" "$POSTGRES_DATA_DIR"
if [ -n "$RESTORE_FROM" ]; then
  t=$(date +%s)
  on 3 restore_from_repo2 "$POSTGRES_DATA_DIR" minitwit-postgres:cluster > "$DIR/restore.log" \
    || { tail -5 "$DIR/restore.log" >&2; die "the restore from repo2 failed"; }
  figure "restore: pgbackrest --repo=2 restore on node 3" "$(($(date +%s) - t)) s"
fi
printf 'SIMULATOR_USERNAME=%s\nSIMULATOR_PASSWORD=%s\n' "$SIMULATOR_USERNAME" "$SIMULATOR_PASSWORD" > "$DIR/simulator.env"
chmod 600 "$DIR/simulator.env"
# What the drills run against this cluster read (scripts/deploy/offsite-drill.sh): the release's settings.
declare -p STACK EDGE_HTTP_PORT EDGE_HTTPS_PORT MINITWIT_WEB_HOST MINITWIT_API_HOST SMOKE_RESOLVE RESOLVE_IMAGE \
  BACKUP_S3_BUCKET BACKUP_S3_ENDPOINT BACKUP_S3_REGION OFFSITE_HOST OFFSITE_ADDR POSTGRES_DATA_DIR \
  SIMULATOR_USERNAME SIMULATOR_PASSWORD NODE1_NETNS | sed 's/^declare -[a-z-]* /export /' > "$DIR/cluster.env"
chmod 600 "$DIR/cluster.env"

# --- release 1 on three nodes -------------------------------------------------------------------------------
t=$(date +%s)
log "release 1: minitwit:cluster-1 on three nodes"
deploy_release minitwit:cluster-1
DOCKER_HOST="unix://$DIR/node1/docker.sock" wait_for_replicas edge 300 || die "the edge did not start"
edge=$(on 1 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_edge" | head -1)
for _ in $(seq 60); do
  on 1 docker cp "$edge:/data/caddy/pki/authorities/local/root.crt" "$DIR/caddy-root.crt" 2> /dev/null && break
  sleep 1
done
[ -s "$DIR/caddy-root.crt" ] || die "the edge made no CA"
in_node1 env "DOCKER_HOST=unix://$DIR/node1/docker.sock" scripts/deploy/smoke.sh \
  --web "https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT" --api "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" \
  --cacert "$DIR/caddy-root.crt" --resolve "$SMOKE_RESOLVE" || fail "the smoke test through the edge"
figure "release 1: deploy to smoke test passed" "$(($(date +%s) - t)) s"

# --- where each service's tasks run ----------------------------------------------------------------------------
# placement SERVICE: the nodes its running tasks are on, e.g. "node1 node2 node3".
placement() {
  local tasks
  tasks=$(on 1 docker service ps -q --filter desired-state=running "${STACK}_$1")
  [ -n "$tasks" ] || return 0
  # shellcheck disable=SC2086 # one id per word
  on 1 docker inspect --format '{{.NodeID}}' $tasks | while read -r id; do echo "${NODE_OF[$id]:-unknown}"; done | sort | tr '\n' ' ' | sed 's/ $//'
}
# The database node's services start after PostgreSQL (pgbackrest waits for it, then its restart delay):
# wait for them (bounded) before asking where they run.
for service in postgres pgbackrest backup; do
  DOCKER_HOST="unix://$DIR/node1/docker.sock" wait_for_replicas "$service" 120 || fail "$service not running 120 s after release 1"
done
declare -A WANT=(
  [minitwit-api]="node1 node2 node3" [minitwit-web]="2 nodes" [edge]="node1" [postgres]="node3"
  [pgbackrest]="node3" [backup]="node3" [prometheus]="node1" [alertmanager]="node1" [node-exporter]="node1 node2 node3"
)
for service in minitwit-api minitwit-web edge postgres pgbackrest backup prometheus alertmanager node-exporter; do
  got=$(placement "$service")
  figure "placement: $service" "${got:-none}"
  case "${WANT[$service]}" in
    "2 nodes") [ "$(tr ' ' '\n' <<< "$got" | sort -u | wc -l)" = 2 ] || fail "$service: on '$got', not spread over 2 nodes" ;;
    *) [ "$got" = "${WANT[$service]}" ] || fail "$service: on '$got', not '${WANT[$service]}'" ;;
  esac
done

# --- the off-site repository ---------------------------------------------------------------------------------
# pgBackRest's repo2 on the off-site host: the stanza, the first full backup (the pgbackrest service takes
# one at once into both repositories) and archived WAL, as `pgbackrest info` on the database node sees them
# (through the image's entrypoint, which reads the S3 keys' secret files: `docker exec` starts no entrypoint).
t=$(date +%s)
repo2=""
for _ in $(seq 90); do
  pgbackrest_task=$(on 3 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_pgbackrest" | head -1)
  # shellcheck disable=SC2016 # JavaScript's template literal
  [ -z "$pgbackrest_task" ] || repo2=$(on 3 docker exec -u postgres "$pgbackrest_task" minitwit-postgres-entrypoint pgbackrest --stanza=minitwit --repo=2 \
    --output=json info 2> /dev/null | node -e 'const [s] = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const full = (s.backup ?? []).filter((b) => b.type === "full"); const wal = s.archive?.[0];
      if (s.status.code === 0 && full.length > 0 && wal?.max) console.log(`full backup ${full.at(-1).label}, WAL ${wal.min} to ${wal.max}`);' 2> /dev/null || true)
  [ -z "$repo2" ] || break
  sleep 2
done
figure "off-site: repo2 on https://$OFFSITE_HOST" "${repo2:-no full backup and archived WAL} after $(($(date +%s) - t)) s"
[ -n "$repo2" ] || fail "no full backup and archived WAL in repo2 (the off-site host) within 180 s"

# --- three managers ------------------------------------------------------------------------------------------
# As deploy/swarm/README.md says production runs: two more managers promoted after the first deploy (the
# services pinned to a manager, the edge among them, stay on node 1, where they started), so that the swarm
# keeps a quorum (2 of 3) with one manager lost.
on 1 docker node promote "${NODE_ID[2]}" "${NODE_ID[3]}" > /dev/null
reachable_managers() { on 1 docker node ls --format '{{.ManagerStatus}}' | grep -cE '^(Leader|Reachable)$' || true; }
managers=$(count_until 3 30 reachable_managers)
figure "managers (Leader or Reachable)" "$managers of 3"
[ "$managers" = 3 ] || fail "$managers managers of 3 reachable after promoting nodes 2 and 3"
for service in edge prometheus alertmanager; do
  [ "$(placement "$service")" = node1 ] || fail "$service moved to '$(placement "$service")' when nodes 2 and 3 became managers"
done

if $FAULTS; then
  secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }
  now_ms() { date +%s%3N; }
  manager() { DOCKER_HOST="unix://$DIR/node1/docker.sock" "$@"; }
  # start_replay NAME CSV LIMIT: the scenario replayed in the background (REPLAY_PID) from node 1's namespace
  # through the edge, paced; report NAME.json, acknowledged writes NAME.jsonl.
  start_replay() {
    (
      code=0
      in_node1 env "NODE_EXTRA_CA_CERTS=$DIR/caddy-root.crt" nice -n 10 node dist/scripts/minitwit.js replay \
        --url "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" --csv "$2" --limit "$3" --rate "$rate" --concurrency 8 \
        --timeout-ms 10000 --user "$SIMULATOR_USERNAME" --password "$SIMULATOR_PASSWORD" \
        --acknowledged "$DIR/$1.jsonl" \
        --errors "$DIR/$1-errors.jsonl" --json --quiet > "$DIR/$1.json" 2> "$DIR/$1.txt" || code=$?
      echo "$code" > "$DIR/$1.rc"
    ) &
    REPLAY_PID=$!
  }
  # replay_verdict NAME strict|in-flight: its errors (strict: none allowed; in-flight: counted, and the end
  # state not required, since a write cut off in flight may or may not have landed) and its acknowledged
  # writes, checked in the database from an api replica on node 1 (the database is on an internal network).
  replay_verdict() {
    wait "$REPLAY_PID" || true
    REPLAY_PID=""
    local summary errors
    # shellcheck disable=SC2016 # JavaScript's template literals
    summary=$(node -p 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const e = r.errors;
      `${r.actions.sent} actions in ${r.durationSeconds.toFixed(0)} s, ${e.total} errors (wrong status ${e.wrongStatus.total}, timeout ${e.timeout}, connection ${e.connection}), p99 ${r.latencyMs.p99} ms, end state ${r.endState.ok ? "right" : "WRONG"}`' \
      "$DIR/$1.json" 2> /dev/null) || { fail "replay $1 wrote no report: $(tail -5 "$DIR/$1.txt")"; return; }
    figure "replay $1" "$summary"
    errors=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).errors.total' "$DIR/$1.json")
    if [ "$2" = strict ]; then
      [ "$(cat "$DIR/$1.rc")" = 0 ] || fail "replay $1 failed (exit $(cat "$DIR/$1.rc"), $errors errors)"
    fi
    local api="" n code=0 written lost
    # An api replica on a node that is up (the spread leaves some nodes without one).
    for n in 1 3 2; do
      api=$(on "$n" timeout 10 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_minitwit-api" 2> /dev/null | head -1)
      [ -z "$api" ] || break
    done
    [ -n "$api" ] || { fail "replay $1: no api replica to check its acknowledged writes from"; return; }
    on "$n" docker cp "$DIR/$1.jsonl" "$api:/tmp/$1.jsonl"
    on "$n" docker exec "$api" node dist/scripts/minitwit.js check-acknowledged --file "/tmp/$1.jsonl" > "$DIR/$1-ack.txt" 2>&1 || code=$?
    written=$(sed -n 's/^\([0-9]*\) acknowledged writes:.*/\1/p' "$DIR/$1-ack.txt")
    lost=$(sed -n 's/^\([0-9]*\) acknowledged writes are not in the database.*/\1/p' "$DIR/$1-ack.txt")
    [ "$code" != 0 ] || lost=0
    figure "replay $1: acknowledged writes lost" "${lost:-unknown} of ${written:-unknown}"
    [ "$code" = 0 ] || { sed 's/^/  /' "$DIR/$1-ack.txt" | tail -5 >&2; fail "acknowledged writes of replay $1 missing (check-acknowledged exit $code)"; }
  }
  # full_without SERVICE NODE_ID: the service runs all its replicas, healthy, none of them on that node.
  full_without() {
    local want running
    want=$(on 1 docker service inspect --format '{{.Spec.Mode.Replicated.Replicas}}' "${STACK}_$1")
    running=$(on 1 docker service ps "${STACK}_$1" --filter desired-state=running --format '{{.Node}} {{.CurrentState}}' 2> /dev/null \
      | awk '$2 == "Running" { print }' | wc -l)
    [ "$running" = "$want" ] || return 1
    # By node ID, not the hostname the three share.
    ! on 1 docker node ps "$2" --filter desired-state=running --format '{{.Name}} {{.CurrentState}}' 2> /dev/null \
      | grep -E "^${STACK}_$1\.[0-9]+ Running" > /dev/null
  }
  # wait_full_without NODE_ID SECONDS: web and api both full without the node; fails after SECONDS.
  wait_full_without() {
    local deadline=$(($(date +%s) + $2))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      full_without minitwit-web "$1" && full_without minitwit-api "$1" && return 0
      sleep 1
    done
    return 1
  }
  node2_link=$(sed -n 's/^HOST_IF=//p' "$DIR/node2/engine.state")
  source scripts/deploy/cluster-schema-drill.sh

  # --- (a) a worker drained for maintenance, then brought back, under a replay: no error ----------------------
  # Node 2 runs web and api replicas and nothing pinned. Back in service, the replicas do not move to it by
  # themselves: a forced update spreads them again (the README's step), still under the replay. Stop-first
  # for that one update: started first, each new task is placed while the old one still counts on its node,
  # and the spread came out uneven (api on nodes 1, 2, 2: one node's loss then leaves one api replica).
  # Then the stack's start-first again (an update of the update order alone restarts nothing).
  log "drain: node 2 drained and brought back under a replay of the course's scenario"
  start_replay drain "$csv" "${DRAIN_ACTIONS:-4400}"
  sleep 5
  # What each service's containers use under the replay, before the drain (docker stats, one sample a node).
  stats_pids=()
  for n in "${NODES[@]}"; do
    on "$n" timeout 30 docker stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.CPUPerc}}' > "$DIR/stats-node$n.txt" 2> /dev/null &
    stats_pids+=($!)
  done
  wait "${stats_pids[@]}" || true
  for n in "${NODES[@]}"; do
    figure "memory, CPU under the replay: node $n" "$(awk '{ split($1, a, "."); sub(/^'"$STACK"'_/, "", a[1]); printf "%s%s %s %s", sep, a[1], $2, $5; sep = "; " }' "$DIR/stats-node$n.txt")"
  done
  t=$(now_ms)
  on 1 docker node update --availability drain "${NODE_ID[2]}" > /dev/null
  wait_full_without "${NODE_ID[2]}" 120 || fail "web and api not full without node 2 within 120 s of its drain"
  drained_ms=$(($(now_ms) - t))
  on 1 docker node update --availability active "${NODE_ID[2]}" > /dev/null
  t=$(now_ms)
  for service in minitwit-web minitwit-api; do
    on 1 docker service update --detach --force --update-order stop-first "${STACK}_$service" > /dev/null
  done
  for service in minitwit-web minitwit-api; do
    manager wait_for_update "$service" 300 || fail "$service's spreading update did not complete"
    on 1 docker service update --detach --update-order start-first "${STACK}_$service" > /dev/null
  done
  spread_ms=$(($(now_ms) - t))
  figure "drain: node 2 drained to full replicas elsewhere" "$(secs "$drained_ms") s"
  figure "drain: back, spread again (stop-first update)" "$(secs "$spread_ms") s; api on $(placement minitwit-api), web on $(placement minitwit-web)"
  kill -0 "$REPLAY_PID" 2> /dev/null || fail "the drain replay ended before the replicas were spread again: raise DRAIN_ACTIONS"
  replay_verdict drain strict

  # --- (b) a worker lost under a replay (its link cut), (c) with it a manager: a release meanwhile -----------
  # Node 2 is both: a manager since the promotion, and a node running web and api replicas. Its link to the
  # others cut, its engine and containers run on, unreachable: what a dead droplet looks like to the rest.
  # Under a replay through the edge, judged: every acknowledged write in the database, and every error
  # explained by the cut. Explained: (1) a request the edge may have sent to node 2 and not got an answer
  # from: failed as a cut-off request fails (no reply, a connection error, a 502 or a 504) and in flight at
  # some moment between the cut and a second after node 2's replicas left the edge's DNS (tasks.<service>,
  # which Caddy reads every second); (2) a 404 naming a user whose sign-up was such a request (it may not
  # have happened). Any other error fails the drill.
  log "loss: node 2's link cut under a replay; a release while it is gone"
  node dist/scripts/minitwit.js scenario --actions "${LOSS_ACTIONS:-7200}" --seed cluster-loss --user-suffix " loss" \
    --out "$DIR/loss.csv" > /dev/null
  # Node 2's web and api replicas' addresses on the edge network: what the edge must stop sending to.
  node2_replicas=""
  for service in minitwit-web minitwit-api; do
    for id in $(on 2 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_$service"); do
      node2_replicas+=" $(on 2 docker inspect --format "{{(index .NetworkSettings.Networks \"${STACK}_edge\").IPAddress}}" "$id")"
    done
  done
  # edge_lists_node2: whether the edge's DNS still gives any of them (the edge's container found each time:
  # a restarted edge is another container).
  edge_lists_node2() {
    local listed edge_now
    edge_now=$(on 1 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_edge" | head -1)
    listed=$(on 1 timeout 10 docker exec "$edge_now" getent ahostsv4 tasks.minitwit-web tasks.minitwit-api | awk '{ print $1 }' | sort -u) \
      || return 0
    for address in $node2_replicas; do grep -qxF "$address" <<< "$listed" && return 0; done
    return 1
  }
  edge_lists_node2 || fail "the edge's DNS does not list node 2's replicas ($node2_replicas) before the cut"
  start_replay loss "$DIR/loss.csv" "${LOSS_ACTIONS:-7200}"
  sleep 15
  cut_ms=$(now_ms)
  ip link set "$node2_link" down
  down_ms="" unlisted_ms=""
  for _ in $(seq 120); do
    [ -n "$down_ms" ] || [ "$(on 1 docker node inspect --format '{{.Status.State}}' "${NODE_ID[2]}")" != down ] || down_ms=$(($(now_ms) - cut_ms))
    [ -n "$unlisted_ms" ] || edge_lists_node2 || unlisted_ms=$(($(now_ms) - cut_ms))
    [ -z "$down_ms" ] || [ -z "$unlisted_ms" ] || break
    sleep 1
  done
  [ -n "$down_ms" ] || fail "node 2 not marked down within 120 s of its cut"
  [ -n "$unlisted_ms" ] || fail "the edge's DNS still lists node 2's replicas 120 s after its cut"
  wait_full_without "${NODE_ID[2]}" 180 || fail "web and api not full without node 2 within 180 s of its cut"
  full_ms=$(($(now_ms) - cut_ms))
  figure "loss: node 2 marked down after its cut" "$(secs "${down_ms:-0}") s"
  figure "loss: node 2's replicas out of the edge's DNS" "$(secs "${unlisted_ms:-0}") s after the cut"
  figure "loss: full replicas again (web 2, api 3)" "$(secs "$full_ms") s after the cut; api on $(placement minitwit-api)"
  figure "loss: managers reachable" "$(on 1 docker node ls --format '{{.ManagerStatus}}' | grep -cE '^(Leader|Reachable)$' || true) of 3 ($(on 1 docker node inspect --format '{{.ManagerStatus.Reachability}}' "${NODE_ID[2]}") node 2)"
  t=$(now_ms)
  code=0
  deploy_release minitwit:cluster-2 > "$DIR/release-2.log" 2>&1 || code=$?
  release_ms=$(($(now_ms) - t))
  api_image=$(manager current_image minitwit-api) web_image=$(manager current_image minitwit-web)
  figure "lost manager: release 2 with 2 of 3 managers" "exit $code after $(secs "$release_ms") s; api on $api_image, web on $web_image"
  [ "$code" = 0 ] || { tail -8 "$DIR/release-2.log" >&2; fail "release 2 with node 2 lost exited $code"; }
  if [ "$api_image" != minitwit:cluster-2 ] || [ "$web_image" != minitwit:cluster-2 ]; then
    fail "web and api not on minitwit:cluster-2 after release 2"
  fi
  kill -0 "$REPLAY_PID" 2> /dev/null || fail "the loss replay ended before release 2 did: raise LOSS_ACTIONS"
  replay_verdict loss in-flight
  # Kept for a look after the run: the replay's report and its errors.
  cp "$DIR/loss.json" "$DIR/loss.txt" "$DIR/loss-errors.jsonl" "${TMPDIR:-/tmp}/" 2> /dev/null || true
  # Every error explained by the cut (see above), or the drill fails.
  window_end_ms=$((cut_ms + ${unlisted_ms:-0} + 1000))
  # shellcheck disable=SC2016 # JavaScript's template literals
  explained=$(node -e '
    const fs = require("fs");
    const [errorsFile, csvFile, cut, end] = process.argv.slice(1);
    const errors = fs.readFileSync(errorsFile, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
    const target = new Map();
    for (const line of fs.readFileSync(csvFile, "utf8").split("\n")) {
      const f = line.split("\t");
      if (f[3] === "follow" || f[3] === "unfollow") target.set(Number(f[0]), f[5]);
    }
    const cutOff = (e) => /^(timeout: no reply|connection: |status 50[24]:)/.test(e.error) && e.sentAtMs < Number(end) && e.endedAtMs > Number(cut);
    const inFlight = errors.filter(cutOff);
    const lostSignUps = new Set(inFlight.filter((e) => e.action === "register").map((e) => e.user));
    const named = (e) => lostSignUps.has(e.user) || lostSignUps.has(target.get(e.id));
    const follow = errors.filter((e) => !cutOff(e) && /^status 404:/.test(e.error) && named(e));
    const other = errors.filter((e) => !cutOff(e) && !follow.includes(e));
    const kinds = (list) => Object.entries(list.reduce((n, e) => ({ ...n, [e.error.replace(/:.*/, "")]: (n[e.error.replace(/:.*/, "")] ?? 0) + 1 }), {})).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
    console.log(`${errors.length} ${other.length} ${inFlight.length} in flight to node 2 (${kinds(inFlight)}), ${follow.length} 404s after ${lostSignUps.size} sign-ups among them, ${other.length} else${other.length ? ` (${kinds(other)}; first: ${JSON.stringify(other[0])})` : ""}`);
  ' "$DIR/loss-errors.jsonl" "$DIR/loss.csv" "$cut_ms" "$window_end_ms" 2>&1) || explained="? ? the errors could not be read: $explained"
  read -r errors_total errors_unexplained explanation <<< "$explained"
  figure "loss: replay errors" "$errors_total: $explanation"
  if [ "$errors_unexplained" != 0 ]; then
    fail "loss: $errors_unexplained replay errors not explained by the cut"
    # What the edge said from just before the cut: its errors say which replica, or which lookup, failed.
    edge_now=$(on 1 docker ps -q --filter "label=com.docker.swarm.service.name=${STACK}_edge" | head -1)
    log "the edge's log lines above info level since 5 s before the cut (the first 40):"
    on 1 docker logs --since "$((cut_ms / 1000 - 5))" "$edge_now" 2>&1 | grep -v '"level":"info"' | cut -c1-400 | head -40 >&2 || true
  fi
  # Release 2 serves through the edge with node 2 gone (after the replay: its smoke replay moves /latest).
  t=$(now_ms)
  if in_node1 env "DOCKER_HOST=unix://$DIR/node1/docker.sock" scripts/deploy/smoke.sh \
    --web "https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT" --api "https://$MINITWIT_API_HOST:$EDGE_HTTPS_PORT" \
    --cacert "$DIR/caddy-root.crt" --resolve "$SMOKE_RESOLVE" > "$DIR/smoke-2.log" 2>&1; then
    figure "lost manager: smoke test of release 2" "passed through the edge in $(secs "$(($(now_ms) - t))") s"
  else
    tail -8 "$DIR/smoke-2.log" >&2
    fail "the smoke test of release 2 with node 2 lost"
  fi
  t=$(now_ms)
  ip link set "$node2_link" up
  back_ms="" leaderless=0
  for _ in $(seq 120); do
    # The returning manager's raft term can unseat the leader for a moment (seen: "The swarm does not have
    # a leader" for a few seconds): counted, not a failure.
    if ! state=$(on 1 docker node inspect --format '{{.Status.State}}' "${NODE_ID[2]}" 2> /dev/null); then
      leaderless=$((leaderless + 1))
    elif [ "$state" = ready ]; then
      back_ms=$(($(now_ms) - t))
      break
    fi
    sleep 1
  done
  if [ -n "$back_ms" ]; then
    figure "loss: node 2 Ready again after its link is back" "$(secs "$back_ms") s ($leaderless polls a second answered: no leader)"
  else
    fail "node 2 not Ready within 120 s of its link coming back ($leaderless polls answered: no leader)"
  fi

  # --- (d) a column replaced in three releases rolled under a replay: no error, no write lost -------------
  # Last: release 2 (the loss drill's) is this checkout's code, which reads the column the drill drops.
  if $SCHEMA_CHANGE; then schema_change_drill; fi
fi

figure "cluster (the whole)" "$(($(date +%s) - started)) s"
if [ "$command" = up ]; then
  cat >&2 <<EOF
The cluster is up (stack $STACK). Node i's engine: DOCKER_HOST=unix://$DIR/node<i>/docker.sock; node 1 is the
manager: DOCKER_HOST=unix://$DIR/node1/docker.sock docker service ls. The edge answers inside node 1's
namespace: ip netns exec $NODE1_NETNS curl --cacert $DIR/caddy-root.crt https://$MINITWIT_WEB_HOST:$EDGE_HTTPS_PORT/public
The simulator's credentials: $DIR/simulator.env. Stop it all: scripts/deploy/cluster.sh down --dir $DIR
EOF
fi
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${FAILED[@]}"
  exit 1
fi
log "cluster: passed"
