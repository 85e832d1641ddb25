#!/usr/bin/env bash
# Usage: scripts/container/engine.sh start --dir DIR --bip CIDR --pool BASE/N,size=M [--netns NAME --link CIDR]
#        scripts/container/engine.sh stop --dir DIR
#        scripts/container/engine.sh env --dir DIR
#
# A private Docker Engine for CI: its own data root, exec root, socket, pidfile and address pool, all
# under DIR, so that it never touches another engine on the machine (nor is touched by one). Prints
# `export DOCKER_HOST=unix://DIR/docker.sock` (and the netns, if any) for `eval`. `stop` ends the daemon
# by its pidfile, removes what `start` made (mounts, netns, veth, host NAT rule) and DIR's data.
#
#   --bip CIDR          the default bridge's address (dockerd --bip), e.g. 172.31.250.1/24
#   --pool BASE,size=N  where networks are cut from (dockerd --default-address-pool), e.g.
#                       base=10.231.128.0/18,size=24
#   --netns NAME        run the daemon in a network namespace of its own. Two engines in one namespace
#                       share iptables' DOCKER chains, and each engine flushes them when it starts, so
#                       concurrent engines (CI helpers, a swarm beside compose) each need their own.
#                       Published ports are then reached from inside it: `ip netns exec NAME curl ...`.
#   --link CIDR         with --netns: the /30 between the host and the namespace, e.g. 10.231.191.252/30
#                       (the host side takes the first address, the namespace the second); containers
#                       reach the outside through it, NATed by one host iptables rule that `stop` removes.
#   --data-root D       images, build cache, volumes (default DIR/data, removed by `stop`); a directory
#                       that outlives the engine keeps images and the build cache for the next run, and
#                       `stop` leaves it (with no container in it)
#   --storage-driver D  default overlay2 (vfs copies every layer: gigabytes per image)
#
# The sandbox here forbids raising resource limits: without --default-ulimit every container fails with
# "error setting rlimits", so the engine sets nofile and nproc to 4096. Runs as root.
set -euo pipefail

die() { printf 'engine: %s\n' "$*" >&2; exit 1; }
log() { printf '[%s] engine: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command=${1:-}
[ -n "$command" ] || die "give start, stop or env (see --help)"
shift
case "$command" in -h | --help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac

DIR="" BIP="" POOL="" NETNS="" LINK="" STORAGE=overlay2 DATA_ROOT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?--dir needs a directory}; shift ;;
    --bip) BIP=${2:?}; shift ;;
    --pool) POOL=${2:?}; shift ;;
    --netns) NETNS=${2:?}; shift ;;
    --link) LINK=${2:?}; shift ;;
    --storage-driver) STORAGE=${2:?}; shift ;;
    --data-root) DATA_ROOT=${2:?}; shift ;;
    *) die "unknown argument: $1" ;;
  esac
  shift
done
[ -n "$DIR" ] || die "--dir is required"
[ "$(id -u)" = 0 ] || die "run as root"
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/docker.pid"
STATE="$DIR/engine.state"

print_env() {
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && source "$STATE"
  printf 'export DOCKER_HOST=unix://%s\n' "$SOCK"
  [ -z "${NETNS:-}" ] || printf 'export ENGINE_NETNS=%s\n' "$NETNS"
}

# The two addresses of a /30: host side, namespace side.
link_addresses() {
  local base=${LINK%/*} a b c d
  IFS=. read -r a b c d <<< "$base"
  d=$((d & ~3))
  HOST_ADDR="$a.$b.$c.$((d + 1))"
  NS_ADDR="$a.$b.$c.$((d + 2))"
}

start() {
  if [ -z "$BIP" ] || [ -z "$POOL" ]; then die "--bip and --pool are required (distinct per engine on this machine)"; fi
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2> /dev/null; then
    log "already running (pid $(cat "$PIDFILE"))"
    print_env
    return 0
  fi
  DATA_ROOT=${DATA_ROOT:-$DIR/data}
  mkdir -p "$DATA_ROOT" "$DIR/exec"
  local run=()
  if [ -n "$NETNS" ]; then
    [ -n "$LINK" ] || die "--netns needs --link (a /30 between the host and the namespace)"
    link_addresses
    local host_if="${NETNS:0:11}-h" ns_if="${NETNS:0:11}-n"
    ip netns add "$NETNS"
    ip link add "$host_if" type veth peer name "$ns_if"
    ip link set "$ns_if" netns "$NETNS"
    ip addr add "$HOST_ADDR/30" dev "$host_if"
    ip link set "$host_if" up
    ip netns exec "$NETNS" ip link set lo up
    ip netns exec "$NETNS" ip addr add "$NS_ADDR/30" dev "$ns_if"
    ip netns exec "$NETNS" ip link set "$ns_if" up
    ip netns exec "$NETNS" ip route add default via "$HOST_ADDR"
    # Routing out of the namespace (dockerd turns this on for itself too; left on, as it would).
    sysctl -qw net.ipv4.ip_forward=1
    iptables -w -t nat -A POSTROUTING -s "$NS_ADDR/32" ! -o "$host_if" -j MASQUERADE -m comment --comment "minitwit-engine $NETNS"
    iptables -w -I FORWARD -i "$host_if" -j ACCEPT -m comment --comment "minitwit-engine $NETNS"
    iptables -w -I FORWARD -o "$host_if" -j ACCEPT -m comment --comment "minitwit-engine $NETNS"
    # nsenter, not `ip netns exec`: that one remounts /sys, and the daemon would find no cgroups.
    run=(nsenter "--net=/run/netns/$NETNS")
    printf 'NETNS=%s\nHOST_IF=%s\nNS_ADDR=%s\n' "$NETNS" "$host_if" "$NS_ADDR" > "$STATE"
  else
    : > "$STATE"
  fi
  # setsid: the daemon outlives this script and is not in the caller's process group (a CI step's
  # Ctrl-C reaches the step's trap, which stops it by its pidfile).
  printf 'DATA_ROOT=%s\n' "$DATA_ROOT" >> "$STATE"
  setsid "${run[@]}" dockerd --data-root "$DATA_ROOT" --exec-root "$DIR/exec" -H "unix://$SOCK" \
    --pidfile "$PIDFILE" --storage-driver "$STORAGE" --bip "$BIP" --default-address-pool "$POOL" \
    --default-ulimit nofile=4096:4096 --default-ulimit nproc=4096:4096 \
    --log-driver json-file --log-opt max-size=10m --log-opt max-file=3 \
    > "$DIR/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 120); do
    DOCKER_HOST="unix://$SOCK" docker info > /dev/null 2>&1 && break
    sleep 0.5
  done
  DOCKER_HOST="unix://$SOCK" docker info > /dev/null 2>&1 || { tail -20 "$DIR/dockerd.log" >&2; die "dockerd did not answer on $SOCK"; }
  log "dockerd $(DOCKER_HOST="unix://$SOCK" docker version --format '{{.Server.Version}}') up (pid $(cat "$PIDFILE"), $SOCK${NETNS:+, netns $NETNS})"
  print_env
}

stop() {
  local NETNS="" HOST_IF="" NS_ADDR="" DATA_ROOT=""
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && source "$STATE"
  if [ -f "$PIDFILE" ]; then
    local pid
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2> /dev/null; then
      # Containers first, so that none is left running under a containerd shim.
      local ids
      ids=$(DOCKER_HOST="unix://$SOCK" timeout 30 docker ps -q 2> /dev/null || true)
      # shellcheck disable=SC2086 # one id per word
      [ -z "$ids" ] || DOCKER_HOST="unix://$SOCK" timeout 60 docker rm -f $ids > /dev/null 2>&1 || true
      kill -TERM "$pid"
      for _ in $(seq 60); do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2> /dev/null && { log "dockerd $pid still running after 30 s: SIGKILL"; kill -KILL "$pid"; }
    fi
  fi
  # containerd-shim processes whose bundles are under our exec root (none, normally).
  local shim
  for shim in $(pgrep -f "containerd-shim.*$DIR/exec" || true); do kill -KILL "$shim" 2> /dev/null || true; done
  if [ -n "${NETNS:-}" ]; then
    iptables -w -t nat -D POSTROUTING -s "$NS_ADDR/32" ! -o "$HOST_IF" -j MASQUERADE -m comment --comment "minitwit-engine $NETNS" 2> /dev/null || true
    iptables -w -D FORWARD -i "$HOST_IF" -j ACCEPT -m comment --comment "minitwit-engine $NETNS" 2> /dev/null || true
    iptables -w -D FORWARD -o "$HOST_IF" -j ACCEPT -m comment --comment "minitwit-engine $NETNS" 2> /dev/null || true
    ip link del "$HOST_IF" 2> /dev/null || true
    ip netns del "$NETNS" 2> /dev/null || true
  fi
  # Mounts left under DIR or the data root (overlay layers, volumes), if the daemon died without unmounting.
  local root
  for root in "$DIR" "${DATA_ROOT:-$DIR/data}"; do
    # (grep finds nothing when all went well: not a failure under pipefail, or `rm` below would never run)
    { grep -o " $root/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2> /dev/null || true; done
  done
  rm -rf "$DIR"
  log "stopped; $DIR removed"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) die "unknown command: $command (start, stop or env)" ;;
esac
