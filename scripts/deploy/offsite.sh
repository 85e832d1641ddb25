#!/usr/bin/env bash
# Usage: scripts/deploy/offsite.sh start --dir DIR --link CIDR [--name HOST] [--bucket NAME]
#        scripts/deploy/offsite.sh stop --dir DIR
#
# The off-site host of the cluster's drills (scripts/deploy/cluster.sh, scripts/deploy/offsite-drill.sh): an
# S3-compatible server in place of DigitalOcean Spaces, in a network namespace of its own with its own
# address, reachable from the nodes' namespaces through this machine's routing. The server is s3rver (the
# project's dev dependency, run by this machine's Node): pgBackRest's repo2 and the backup service (AWS SDK)
# both speak S3 to it, over TLS with a certificate for HOST from a CA made here (pgBackRest verifies TLS by
# default, as against Spaces). Its data stays in DIR/store until `stop`, and outlives the cluster's nodes:
# the disaster-recovery drill restores from it alone.
#
#   --link CIDR    the /30 between this machine and the namespace (this machine takes the first address, the
#                  host the second), e.g. 10.234.251.16/30
#   --name HOST    the name its certificate is for (default offsite.minitwit.test); clients resolve it to the
#                  host's address themselves (the stack's extra_hosts)
#   --bucket NAME  the bucket made at the start (default minitwit-offsite)
#
# `start` prints (and keeps in DIR/offsite.env), for `source`: OFFSITE_ADDR, OFFSITE_HOST, OFFSITE_BUCKET, OFFSITE_CA (the CA's certificate,
# for the clients), OFFSITE_KEY and OFFSITE_SECRET (s3rver's one account). `stop` ends the server by its
# pid, removes the namespace, the link, the routing rules and DIR. Needs root, iproute2, iptables, openssl,
# node, curl and node_modules (npm ci).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

case "${1:-}" in -h | --help) usage_from_header "$0"; exit 0 ;; esac
command=${1:-}
shift || true
DIR="" LINK="" HOST=offsite.minitwit.test BUCKET=minitwit-offsite
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?}; shift ;;
    --link) LINK=${2:?}; shift ;;
    --name) HOST=${2:?}; shift ;;
    --bucket) BUCKET=${2:?}; shift ;;
    -h | --help) usage_from_header "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[ -n "$DIR" ] || die "give --dir DIR (see --help)"
[ "$(id -u)" -eq 0 ] || die "run as root (a network namespace)"
STATE="$DIR/offsite.state"
# s3rver's only account (it checks every request's signature against it).
KEY=S3RVER SECRET=S3RVER

start() {
  [ -n "$LINK" ] || die "start needs --link CIDR"
  [ -x node_modules/s3rver/bin/s3rver.js ] || [ -f node_modules/s3rver/bin/s3rver.js ] || die "no node_modules/s3rver: npm ci first"
  mkdir -p "$DIR/store"
  DIR=$(cd "$DIR" && pwd)
  local a b c d host_addr addr netns host_if ns_if
  IFS=. read -r a b c d <<< "${LINK%/*}"
  d=$((d & ~3))
  host_addr="$a.$b.$c.$((d + 1))" addr="$a.$b.$c.$((d + 2))"
  netns="mtoff-$$" host_if="mtoff-$$-h" ns_if="mtoff-$$-n"
  printf 'NETNS=%s\nHOST_IF=%s\n' "$netns" "$host_if" > "$STATE"
  ip netns add "$netns"
  ip link add "$host_if" type veth peer name "$ns_if"
  ip link set "$ns_if" netns "$netns"
  ip addr add "$host_addr/30" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$netns" link set lo up
  ip -n "$netns" addr add "$addr/30" dev "$ns_if"
  ip -n "$netns" link set "$ns_if" up
  ip -n "$netns" route add default via "$host_addr"
  sysctl -qw net.ipv4.ip_forward=1
  iptables -w -I FORWARD -i "$host_if" -j ACCEPT -m comment --comment "minitwit-offsite $netns"
  iptables -w -I FORWARD -o "$host_if" -j ACCEPT -m comment --comment "minitwit-offsite $netns"

  # A CA of the drill's own, and the server's certificate for HOST (and its address) signed by it.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=MiniTwit off-site test CA" \
    -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$HOST" -keyout "$DIR/server.key" -out "$DIR/server.csr" 2> /dev/null
  printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' "$HOST" "$addr" > "$DIR/server.ext"
  openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
    -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2> /dev/null
  chmod 644 "$DIR/ca.crt"

  # Path-style only (--no-vhost-buckets): HOST is the server, not a bucket.
  setsid ip netns exec "$netns" node node_modules/s3rver/bin/s3rver.js --directory "$DIR/store" --address 0.0.0.0 \
    --port 443 --key "$DIR/server.key" --cert "$DIR/server.crt" --no-vhost-buckets --configure-bucket "$BUCKET" \
    > "$DIR/s3rver.log" 2>&1 < /dev/null &
  local pid=$!
  printf 'PID=%s\n' "$pid" >> "$STATE"
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 2 --cacert "$DIR/ca.crt" --resolve "$HOST:443:$addr" "https://$HOST/" && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.2
  done
  curl -s -o /dev/null --max-time 2 --cacert "$DIR/ca.crt" --resolve "$HOST:443:$addr" "https://$HOST/" \
    || { tail -20 "$DIR/s3rver.log" >&2; die "s3rver does not answer on https://$HOST/ ($addr)"; }
  log "off-site host: s3rver (pid $pid) at https://$HOST/ ($addr, netns $netns), bucket $BUCKET"
  printf 'OFFSITE_ADDR=%s\nOFFSITE_HOST=%s\nOFFSITE_BUCKET=%s\nOFFSITE_CA=%s\nOFFSITE_KEY=%s\nOFFSITE_SECRET=%s\n' \
    "$addr" "$HOST" "$BUCKET" "$DIR/ca.crt" "$KEY" "$SECRET" | tee "$DIR/offsite.env"
}

stop() {
  [ -d "$DIR" ] || return 0
  local NETNS="" HOST_IF="" PID="" left=0
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && source "$STATE"
  if [ -n "$PID" ] && kill -0 "$PID" 2> /dev/null; then
    # setsid made it the leader of its own group: ip netns exec and node end together.
    kill -TERM -- "-$PID" 2> /dev/null || kill -TERM "$PID"
    for _ in $(seq 50); do kill -0 "$PID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL -- "-$PID" 2> /dev/null || true
  fi
  if [ -n "$NETNS" ]; then
    iptables -w -D FORWARD -i "$HOST_IF" -j ACCEPT -m comment --comment "minitwit-offsite $NETNS" 2> /dev/null || true
    iptables -w -D FORWARD -o "$HOST_IF" -j ACCEPT -m comment --comment "minitwit-offsite $NETNS" 2> /dev/null || true
    ip link del "$HOST_IF" 2> /dev/null || true
    ip netns del "$NETNS" 2> /dev/null || true
    if ip netns list | grep -q "^$NETNS\b"; then echo "offsite: netns $NETNS left behind" >&2; left=1; fi
  fi
  if [ -n "$PID" ] && kill -0 "$PID" 2> /dev/null; then echo "offsite: s3rver $PID still running" >&2; left=1; fi
  rm -rf "$DIR"
  return "$left"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) die "give start or stop (see --help)" ;;
esac
