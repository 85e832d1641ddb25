#!/usr/bin/env bash
# Usage: scripts/deploy/cluster.sh test
#        scripts/deploy/cluster.sh up --dir DIR      (then: scripts/deploy/cluster.sh down --dir DIR)
#
# A swarm of three hosts on this machine, as production runs it (deploy/terraform: a manager, a worker and
# a database node): three Docker Engines, each in a network namespace of its own with its own address
# (scripts/container/engine.sh: the namespace's link to this machine, whose routing joins them), `docker
# swarm init` on node 1 and `docker swarm join` of nodes 2 and 3 as workers, node 3 labelled
# minitwit.database=true (by node ID: the three share one hostname), the images loaded into every engine
# (no registry here), then the release script (scripts/deploy/stack-deploy.sh --local against the manager)
# with deploy/swarm/stack.test.yml: only what this kernel lacks differs (no IPVS: dnsrr and host-mode ports;
# no ESP: unencrypted overlays). Overlay traffic (VXLAN) and the swarm's gossip cross the namespaces.
#
#   test  up, release 1, checks, down. Checks: every replica on the node production puts it on (web and
#         api spread one per node, PostgreSQL and its backups on the database node, the edge on the
#         manager); the smoke test through the edge (Caddy on node 1 reaching the app's replicas on the
#         other nodes, and they PostgreSQL on node 3); the nodes Ready. Prints FIGURE lines; exits 1 on a
#         failure. Nothing is left behind.
#   up    the same up to the checks, then leaves the cluster running and prints how to reach it (a
#         developer's three nodes: DOCKER_HOST of each, `ip netns exec NODE ...` for the edge).
#   down  stops what `up` started in DIR: the stack, the swarm, the three engines by their pids, the
#         namespaces, the routing rules.
#
# Node 1's engine keeps its images and build cache in $MINITWIT_CI_CACHE/cluster-engine (the app's image is
# built there the first time; then nothing changes, nothing is rebuilt); nodes 2 and 3 start empty and get
# the images by `docker save | docker load`. Needs root, iproute2, iptables, curl, node and `npm run build`.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

command=${1:-}
shift || true
DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?}; shift ;;
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

CI_CACHE=${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}
NODE1_DATA=${CLUSTER_ENGINE_DATA:-$CI_CACHE/cluster-engine}
NODES=(1 2 3)
# Node i: namespace mtcl<i>-<pid>, link 10.234.254.<4i>/30 (this machine .4i+1, the node .4i+2), its own
# bridge and pool for containers; the swarm's overlays from 10.234.128.0/18. Other engines on this machine
# (CI steps 90 and 95) use other ranges.
CLUSTER_NET=10.234.254.0/24
node_addr() { echo "10.234.254.$((4 * $1 + 2))"; }
export STACK=minitwit EDGE_HTTP_PORT=28080 EDGE_HTTPS_PORT=28443
export MINITWIT_WEB_HOST=web.minitwit.test MINITWIT_API_HOST=api.minitwit.test SMOKE_RESOLVE=127.0.0.1
export BACKUP_S3_BUCKET=unused-in-ci BACKUP_S3_ENDPOINT=https://s3.invalid BACKUP_S3_REGION=none
export RESOLVE_IMAGE=never
FAILED=()
fail() { FAILED+=("$*"); log "FAILED: $*"; }
figure() { printf '  FIGURE %-48s %s\n' "$1:" "$2" | tee -a "$DIR/figures" >&2; }
on() { local n=$1; shift; DOCKER_HOST="unix://$DIR/node$n/docker.sock" "$@"; }

# The state `up` leaves for `down`: the namespaces' names.
state_file() { echo "$DIR/cluster.state"; }

down() {
  set +e
  local n netns
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
  # The three at once: each waits for its daemon and removes its data (nodes 2 and 3 hold gigabytes).
  for n in 1 2 3; do
    [ ! -d "$DIR/node$n" ] || scripts/container/engine.sh stop --dir "$DIR/node$n" &
  done
  wait
  # The rule that keeps traffic between the nodes un-NATed (engine.sh's MASQUERADE would rewrite it).
  iptables -t nat -D POSTROUTING -s "$CLUSTER_NET" -d "$CLUSTER_NET" -j RETURN -m comment --comment "minitwit-cluster" 2> /dev/null
  for netns in ${CLUSTER_NETNS:-}; do rm -rf "/etc/netns/$netns"; done
  rmdir /etc/netns 2> /dev/null # when no other namespace has a file there
  local left=0
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
    down || code=1
    exit "$code"
  }
  trap cleanup EXIT
  trap 'exit 143' TERM
  trap 'exit 130' INT HUP
fi
started=$(date +%s)

# --- three hosts -------------------------------------------------------------------------------------------
iptables -t nat -I POSTROUTING -s "$CLUSTER_NET" -d "$CLUSTER_NET" -j RETURN -m comment --comment "minitwit-cluster"
netns_names="" dockerd_pids=""
for n in "${NODES[@]}"; do
  netns="mtcl$n-$$"
  data=()
  [ "$n" != 1 ] || data=(--data-root "$NODE1_DATA")
  scripts/container/engine.sh start --dir "$DIR/node$n" --bip "172.31.$((253 + n - 1)).1/24" \
    --pool "base=10.234.$((16 * n)).0/20,size=24" --netns "$netns" --link "10.234.254.$((4 * n))/30" \
    "${data[@]}" > /dev/null
  netns_names+=" $netns"
  dockerd_pids+=" $(cat "$DIR/node$n/docker.pid")"
  mkdir -p "/etc/netns/$netns"
  printf '127.0.0.1 localhost %s %s\n' "$MINITWIT_WEB_HOST" "$MINITWIT_API_HOST" > "/etc/netns/$netns/hosts"
  printf 'CLUSTER_NETNS="%s"\nCLUSTER_DOCKERD_PIDS="%s"\n' "$netns_names" "$dockerd_pids" > "$(state_file)"
done
NODE1_NETNS="mtcl1-$$"
in_node1() { ip netns exec "$NODE1_NETNS" "$@"; }
# A run killed before its cleanup may have left a swarm or containers in node 1's data root.
on 1 docker swarm leave --force > /dev/null 2>&1 || true
# shellcheck disable=SC2046 # one id per word
on 1 docker rm -f $(on 1 docker ps -aq) > /dev/null 2>&1 || true
on 1 docker volume prune -f > /dev/null 2>&1 || true

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
ready=""
for _ in $(seq 60); do
  ready=$(on 1 docker node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
  [ "$ready" = 3 ] && break
  sleep 1
done
figure "swarm formed (3 engines, 1 manager)" "$ready of 3 nodes Ready after $(($(date +%s) - t)) s"
[ "$ready" = 3 ] || die "the three nodes did not become Ready"

# --- images: built on node 1, loaded into 2 and 3 -------------------------------------------------------------
t=$(date +%s)
DOCKER_HOST="unix://$DIR/node1/docker.sock" scripts/container/stand-ins.sh node postgres prometheus alertmanager \
  node-exporter postgres-exporter caddy > /dev/null
on 1 docker build --quiet --target app --tag minitwit:cluster-1 . > /dev/null
on 1 docker build --quiet --target backup --build-arg POSTGRES_CLIENT_SOURCE=debian --tag minitwit-backup:cluster . > /dev/null
on 1 docker build --quiet --file deploy/postgres/Dockerfile --tag minitwit-postgres:cluster . > /dev/null
figure "images on node 1 (built or from its cache)" "$(($(date +%s) - t)) s"
t=$(date +%s)
images=(minitwit:cluster-1 minitwit-backup:cluster minitwit-postgres:cluster prom/node-exporter:v1.9.1
  quay.io/prometheuscommunity/postgres-exporter:v0.17.1 prom/alertmanager:v0.28.1 prom/prometheus:v3.5.0)
on 1 docker save "${images[@]}" > "$DIR/images.tar"
for n in 2 3; do on "$n" docker load --quiet --input "$DIR/images.tar" > /dev/null & done
wait
rm -f "$DIR/images.tar"
figure "images loaded into nodes 2 and 3" "$(($(date +%s) - t)) s"

# --- secrets, as deploy/swarm/README.md creates them ----------------------------------------------------------
secret() { printf '%s' "$2" | on 1 docker secret create "$1" - > /dev/null; }
owner_password=$(openssl rand -hex 24) app_password=$(openssl rand -hex 24)
secret minitwit_postgres_password "$(openssl rand -hex 24)"
secret minitwit_owner_password "$owner_password"
secret minitwit_app_password "$app_password"
secret minitwit_monitor_password "$(openssl rand -hex 24)"
secret minitwit_database_url "postgres://minitwit_app:$app_password@postgres:5432/minitwit"
secret minitwit_migration_database_url "postgres://minitwit:$owner_password@postgres:5432/minitwit"
secret minitwit_session_secret "$(openssl rand -hex 32)"
SIMULATOR_USERNAME="simulator-$(openssl rand -hex 4)" SIMULATOR_PASSWORD=$(openssl rand -hex 16)
export SIMULATOR_USERNAME SIMULATOR_PASSWORD
secret minitwit_simulator_username "$SIMULATOR_USERNAME"
secret minitwit_simulator_password "$SIMULATOR_PASSWORD"
for name in grafana_admin_password elastic_password kibana_system_password spaces_key spaces_secret; do
  secret "minitwit_$name" "$(openssl rand -hex 16)"
done
secret alertmanager_webhook_url "http://alert-receiver:9095/"
# The backups' signing key (deploy/backup/stack.backup.yml: BACKUP_SIGNING_KEY_FILE; docs/backup.md).
secret minitwit_backup_signing_key "$(openssl rand -hex 32)"
# PostgreSQL's data directory on the database node (the machine's file system is every node's).
export POSTGRES_DATA_DIR="$DIR/postgres-data"
install -d -m 0700 -o "$(on 1 docker run --rm --entrypoint id minitwit-postgres:cluster -u postgres)" \
  -g "$(on 1 docker run --rm --entrypoint id minitwit-postgres:cluster -g postgres)" "$POSTGRES_DATA_DIR"
printf 'SIMULATOR_USERNAME=%s\nSIMULATOR_PASSWORD=%s\n' "$SIMULATOR_USERNAME" "$SIMULATOR_PASSWORD" > "$DIR/simulator.env"
chmod 600 "$DIR/simulator.env"

# --- release 1 on three nodes -------------------------------------------------------------------------------
t=$(date +%s)
log "release 1: minitwit:cluster-1 on three nodes"
in_node1 env "DOCKER_HOST=unix://$DIR/node1/docker.sock" "POSTGRES_DATA_DIR=$POSTGRES_DATA_DIR" \
  scripts/deploy/stack-deploy.sh --local --image minitwit:cluster-1 --postgres-image minitwit-postgres:cluster \
  --backup-image minitwit-backup:cluster --override deploy/swarm/stack.test.yml --no-smoke
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
