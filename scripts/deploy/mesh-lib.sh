# shellcheck shell=bash
# The stand-in for a swarm on one machine, for scripts/deploy/rolling-update.sh: test hosts as network
# namespaces (a veth pair each, own address), one API replica per host as a real process, and nginx in
# front as the routing mesh. Everything made here is undone by mesh_cleanup (the caller's EXIT trap).
# Needs root, iproute2 and nginx (Debian's nginx-light will do).

MESH_TAG=${MESH_TAG:-mt$$}
# A /24 per host in 10.<N>.<host>.0, N from the process id: two runs at once do not collide.
MESH_NET="10.$((200 + $$ % 50))"
MESH_WORK=""
MESH_HOSTS=0
NGINX_PORT=""
NGINX_GENERATION=0
declare -a REPLICA_ENV=()
declare -A REPLICA_PID=() REPLICA_PORT=()

now_ms() { date +%s%3N; }
# running PID: the process exists and has not ended (a child that has ended stays, a zombie, until waited for).
running() { [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null)" != Z ]; }
mesh_log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&2; }
host_ns() { echo "${MESH_TAG}h$1"; }
host_ip() { echo "$MESH_NET.$1.2"; }

# mesh_hosts N: N hosts, each a namespace whose eth0 (HOST_IP) is linked to a veth on this machine.
mesh_hosts() {
  local i ns
  MESH_WORK=$(mktemp -d "/tmp/minitwit-mesh.XXXXXX")
  MESH_HOSTS=$1
  for i in $(seq "$1"); do
    ns=$(host_ns "$i")
    ip netns add "$ns"
    ip link add "${MESH_TAG}v$i" type veth peer name "${MESH_TAG}p$i" netns "$ns"
    ip addr add "$MESH_NET.$i.1/24" dev "${MESH_TAG}v$i"
    ip link set "${MESH_TAG}v$i" up
    ip -n "$ns" link set "${MESH_TAG}p$i" name eth0
    ip -n "$ns" addr add "$(host_ip "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
}

# start_replica HOST PORT: an API replica in the host's namespace on PORT (the database through its unix
# socket: the file system is shared, the network is not). REPLICA_ENV (NAME=value words) holds the
# replicas' settings.
start_replica() {
  local host=$1 port=$2
  ip netns exec "$(host_ns "$host")" env "${REPLICA_ENV[@]}" MINITWIT_ROLE=api HOST=0.0.0.0 API_PORT="$port" \
    METRICS_HOST=127.0.0.1 METRICS_PORT=$((port + 1000)) node dist/src/server.js \
    >> "$MESH_WORK/replica-h$host-$port.log" 2>&1 &
  REPLICA_PID["$host:$port"]=$!
}

# wait_ready HOST PORT [SECONDS]: until the replica answers /readyz 200 (as the image's health check).
wait_ready() {
  local deadline=$(($(date +%s) + ${3:-60}))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    curl -sf -o /dev/null --max-time 1 "http://$(host_ip "$1"):$2/readyz" && return 0
    kill -0 "${REPLICA_PID["$1:$2"]}" 2> /dev/null || { mesh_log "replica h$1:$2 exited while starting"; return 1; }
    sleep 0.1
  done
  mesh_log "replica h$1:$2 not ready after ${3:-60} s"
  return 1
}

# The upstream block: every replica in REPLICA_PORT (host -> port, or "host -> port port" while two run).
# Passive health: one failed connection marks a server down for 10 s. A connection that fails is tried on
# the next server (nothing was sent); a request already sent is never resent when its method is not
# idempotent (nginx's default): a POST that may have been applied is not applied twice.
nginx_conf() {
  local host port
  cat << EOF
worker_processes 1;
pid $MESH_WORK/nginx/nginx.pid;
error_log $MESH_WORK/nginx/error.log warn;
events { worker_connections 2048; }
http {
  log_format mesh '\$msec|\$status|\$request_method|\$request_time|\$upstream_addr|\$upstream_status';
  access_log $MESH_WORK/nginx/access.log mesh;
  client_body_temp_path $MESH_WORK/nginx/body;
  proxy_temp_path $MESH_WORK/nginx/proxy;
  fastcgi_temp_path $MESH_WORK/nginx/fastcgi;
  uwsgi_temp_path $MESH_WORK/nginx/uwsgi;
  scgi_temp_path $MESH_WORK/nginx/scgi;
  upstream api {
    zone api 64k;
EOF
  for host in $(printf '%s\n' "${!REPLICA_PORT[@]}" | sort -n); do
    for port in ${REPLICA_PORT[$host]}; do
      echo "    server $(host_ip "$host"):$port max_fails=1 fail_timeout=10s;"
    done
  done
  cat << EOF
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /_generation { return 200 "$NGINX_GENERATION\n"; }
    location / {
      proxy_pass http://api;
      proxy_set_header Host \$host;
      proxy_connect_timeout 100ms;
      proxy_read_timeout 5s;
      proxy_send_timeout 5s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 3;
    }
  }
}
EOF
}

nginx_pid() { cat "$MESH_WORK/nginx/nginx.pid"; }

# start_nginx PORT: nginx with its own prefix and configuration, routing to REPLICA_PORT.
start_nginx() {
  NGINX_PORT=$1
  mkdir -p "$MESH_WORK/nginx"
  nginx_conf > "$MESH_WORK/nginx/nginx.conf"
  nginx -p "$MESH_WORK/nginx" -c "$MESH_WORK/nginx/nginx.conf" -e "$MESH_WORK/nginx/error.log"
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$NGINX_PORT/_generation" && return 0; sleep 0.1; done
  mesh_log "nginx does not answer on $NGINX_PORT"
  return 1
}

# route_to_replicas: nginx reloaded with REPLICA_PORT as it is now. Returns at once (as a swarm's load
# balancer changes while the old task already gets SIGTERM); nginx_caught_up says when it took effect.
route_to_replicas() {
  NGINX_GENERATION=$((NGINX_GENERATION + 1))
  nginx_conf > "$MESH_WORK/nginx/nginx.conf"
  nginx -t -q -p "$MESH_WORK/nginx" -c "$MESH_WORK/nginx/nginx.conf" -e "$MESH_WORK/nginx/error.log"
  kill -HUP "$(nginx_pid)"
}

# nginx_caught_up: waits until the new configuration answers and no worker with the old one is left
# (old workers finish the requests they hold, then exit). Prints how long that took, in ms.
nginx_caught_up() {
  local started
  started=$(now_ms)
  for _ in $(seq 1000); do
    if [ "$(curl -s --max-time 1 "http://127.0.0.1:$NGINX_PORT/_generation")" = "$NGINX_GENERATION" ] \
      && ! pgrep -P "$(nginx_pid)" -f 'shutting down' > /dev/null; then
      echo $(($(now_ms) - started))
      return 0
    fi
    sleep 0.01
  done
  mesh_log "nginx did not take generation $NGINX_GENERATION"
  return 1
}

# Ends what this shell started and has not reaped (its jobs: replicas, the replay), never a process
# whose id might have been reused; nginx by its pid file.
mesh_cleanup() {
  local pid pids
  [ -n "$MESH_WORK" ] && [ -f "$MESH_WORK/nginx/nginx.pid" ] && kill -QUIT "$(nginx_pid)" 2> /dev/null
  pids=$(jobs -p)
  for pid in $pids; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 50); do running "$pid" || break; sleep 0.2; done
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  done
  for i in $(seq "$MESH_HOSTS"); do ip netns del "$(host_ns "$i")" 2> /dev/null || true; done
  if [ -n "$MESH_WORK" ] && [ -z "${KEEP_MESH_WORK:-}" ]; then rm -rf "$MESH_WORK"; fi
}
