# shellcheck shell=bash
# Shared by scripts/deploy/*.sh: they run where the docker CLI is (a laptop, CircleCI) and talk to the
# swarm's manager over SSH (DOCKER_HOST=ssh://user@host), so the stack's files are read from this clone.
set -euo pipefail
# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STACK=${MINITWIT_STACK:-minitwit}
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
usage_from_header() { sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$1"; }

# Runs "$@", a command that prints a count, once a second until it prints WANT, at most TRIES times;
# prints the last count.
count_until() {
  local want=$1 tries=$2 count="" _
  shift 2
  for _ in $(seq "$tries"); do
    count=$("$@")
    [ "$count" = "$want" ] && break
    sleep 1
  done
  printf '%s' "$count"
}

# The stack's secrets for a test swarm, as deploy/swarm/README.md creates them, each through the caller's
# function $1 NAME VALUE: random passwords, the two database URLs built on them, the session and the
# backups' signing keys, the test's alert receiver, and random simulator credentials (the app has no
# default for them), exported as SIMULATOR_USERNAME and SIMULATOR_PASSWORD for the smoke test's replay.
# The Spaces key pair is the caller's: where the backups go differs.
create_test_secrets() {
  local create=$1 owner_password app_password name
  owner_password=$(openssl rand -hex 24) app_password=$(openssl rand -hex 24)
  "$create" minitwit_postgres_password "$(openssl rand -hex 24)"
  "$create" minitwit_owner_password "$owner_password"
  "$create" minitwit_app_password "$app_password"
  "$create" minitwit_monitor_password "$(openssl rand -hex 24)"
  "$create" minitwit_database_url "postgres://minitwit_app:$app_password@postgres:5432/minitwit"
  "$create" minitwit_migration_database_url "postgres://minitwit:$owner_password@postgres:5432/minitwit"
  "$create" minitwit_session_secret "$(openssl rand -hex 32)"
  "$create" minitwit_backup_signing_key "$(openssl rand -hex 32)"
  for name in grafana_admin_password elastic_password kibana_system_password; do
    "$create" "minitwit_$name" "$(openssl rand -hex 16)"
  done
  "$create" alertmanager_webhook_url "http://alert-receiver:9095/"
  SIMULATOR_USERNAME="simulator-$(openssl rand -hex 4)" SIMULATOR_PASSWORD=$(openssl rand -hex 16)
  export SIMULATOR_USERNAME SIMULATOR_PASSWORD
  "$create" minitwit_simulator_username "$SIMULATOR_USERNAME"
  "$create" minitwit_simulator_password "$SIMULATOR_PASSWORD"
}

# --host HOST sets DOCKER_HOST for every docker command (ssh://user@host, or a host name: root@ then).
use_host() {
  case "$1" in
    ssh://* | tcp://* | unix://*) export DOCKER_HOST=$1 ;;
    *@*) export DOCKER_HOST="ssh://$1" ;;
    *) export DOCKER_HOST="ssh://root@$1" ;;
  esac
}

# The image a service runs now (without its digest), e.g. registry/minitwit:1.2.3.
current_image() {
  docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "${STACK}_$1" 2> /dev/null \
    | sed 's/@sha256:.*//'
}

# Waits for a service's rolling update to end; fails unless it completed (a rollback is a failure).
wait_for_update() {
  local service="${STACK}_$1" state="" deadline=$(($(date +%s) + ${2:-900}))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    state=$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$service")
    case "$state" in
      "" | completed) wait_for_replicas "$1" $((deadline - $(date +%s))) && log "$service: update completed"; return ;;
      rollback_completed | rollback_paused | paused)
        log "$service: update ended as $state: $(docker service inspect --format '{{.UpdateStatus.Message}}' "$service")"
        return 1 ;;
    esac
    sleep 5
  done
  log "$service: update still '$state' after ${2:-900} s"
  return 1
}

# Waits until a replicated service runs as many tasks as it wants, every one of them on the image its
# spec names and past its health check (Running): a new service has no update to wait for, only its tasks
# to start; and just after a deploy the update may not have begun yet. Counted from the tasks meant to run,
# not from `docker service ls`: that one counts the tasks of a node that is down (unreachable, its tasks
# already replaced elsewhere) as running until the node comes back, and a release would wait for a lost
# node (seen in scripts/deploy/cluster.sh's drill: api "5/3" with a node's link cut).
wait_for_replicas() {
  local service="${STACK}_$1" replicas="" want image counts deadline=$(($(date +%s) + ${2:-900}))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    want=$(docker service inspect --format '{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{end}}' "$service" 2> /dev/null || true)
    image=$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$service" 2> /dev/null || true)
    # "RUNNING OTHER": tasks meant to run that run the spec's image, and those that do not (yet).
    counts=$(docker service ps "$service" --filter desired-state=running --format '{{.Image}} {{.CurrentState}}' 2> /dev/null \
      | awk -v i="$image" '$1 == i && $2 == "Running" { r++; next } { o++ } END { print r + 0, o + 0 }')
    replicas="${counts%% *}/${want:-?}"
    if [ -n "$want" ] && [ "$counts" = "$want 0" ]; then
      return 0
    fi
    sleep 2
  done
  log "$service: ${replicas:-no} replicas running after ${2:-900} s"
  return 1
}
