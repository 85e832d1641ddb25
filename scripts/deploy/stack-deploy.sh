#!/usr/bin/env bash
# Usage: scripts/deploy/stack-deploy.sh --host MANAGER --image IMAGE [--public-host HOST] [--no-smoke]
#
# Releases IMAGE (an exact tag, e.g. docker.io/acme/minitwit:1.4.0) to the swarm whose manager is
# MANAGER (ssh://user@host or user@host; the docker CLI reaches it over SSH):
#   1. `docker stack deploy` of deploy/swarm/stack.yml with MINITWIT_IMAGE=IMAGE and CONFIG_VERSION (a
#      hash of the stack's config files); web and api then roll one replica at a time (start-first,
#      health-gated), and Swarm itself rolls a service back if a new replica fails;
#   2. waits for both updates to complete;
#   3. smoke-tests through the published ports (scripts/deploy/smoke.sh, against --public-host,
#      default MANAGER's host name);
#   4. if 2 or 3 fails, rolls web and api back to the image they ran before (scripts/deploy/rollback.sh)
#      and exits 1.
source "$(dirname "$0")/lib.sh"
host="" image="" public_host="" smoke=true
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --host) host=${2:?}; shift ;;
    --image) image=${2:?}; shift ;;
    --public-host) public_host=${2:?}; shift ;;
    --no-smoke) smoke=false ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if [ -z "$host" ] || [ -z "$image" ]; then die "--host and --image are required (see --help)"; fi
use_host "$host"
[ -n "$public_host" ] || public_host=$(printf '%s' "$DOCKER_HOST" | sed -E 's#^[a-z]+://##; s#^[^@]*@##; s#:[0-9]+$##')
cd "$REPO_ROOT"

previous=$(current_image minitwit-web || true)
log "deploying $image to stack $STACK on $DOCKER_HOST (web and api run ${previous:-nothing yet})"
CONFIG_VERSION=$(cat deploy/swarm/secret-env.sh deploy/prometheus/prometheus.swarm.yml deploy/prometheus/rules/*.yml \
  deploy/prometheus/postgres-exporter-queries.yml deploy/grafana/provisioning/*/*.yml deploy/grafana/dashboards/*.json \
  deploy/logging/filebeat.yml deploy/logging/setup.sh deploy/logging/*.json | sha256sum | cut -c1-10)
export CONFIG_VERSION MINITWIT_IMAGE=$image
docker stack deploy --with-registry-auth --prune --compose-file deploy/swarm/stack.yml "$STACK"

rollback() {
  log "release failed: $1"
  if [ -n "$previous" ] && [ "$previous" != "$image" ]; then
    "$REPO_ROOT/scripts/deploy/rollback.sh" --host "$DOCKER_HOST" --image "$previous"
  fi
  exit 1
}
wait_for_update minitwit-web || rollback "minitwit-web did not update"
wait_for_update minitwit-api || rollback "minitwit-api did not update"
if $smoke; then
  "$REPO_ROOT/scripts/deploy/smoke.sh" --host "$public_host" --image "$image" || rollback "smoke test failed"
fi
log "released $image"
