#!/usr/bin/env bash
# Usage: scripts/deploy/rollback.sh (--host MANAGER | --local) [--image IMAGE]
#
# Puts minitwit-web and minitwit-api back on the previous release, with the same rolling update as a
# release (one replica at a time, start-first, health-gated). With --image, updates both services to
# that image (an exact earlier tag); without, `docker service rollback` returns each to its previous
# spec (Swarm keeps one). Waits until both have finished.
source "$(dirname "$0")/lib.sh"
host="" local_engine=false image=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --host) host=${2:?}; shift ;;
    --local) local_engine=true ;;
    --image) image=${2:?}; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[ -n "$host" ] || $local_engine || die "--host (or --local: the engine DOCKER_HOST names) is required (see --help)"
[ -z "$host" ] || use_host "$host"
declare -A already=()
# RESOLVE_IMAGE=never (no registry, as in CI's swarm): the image's name as it is, no digest looked up.
resolve=()
[ "${RESOLVE_IMAGE:-always}" != never ] || resolve=(--no-resolve-image)
for service in minitwit-web minitwit-api; do
  if [ -n "$image" ] && [ "$(current_image "$service")" = "$image" ]; then
    log "${STACK}_$service already runs $image (Swarm rolled it back by itself)"
    already[$service]=1
  elif [ -n "$image" ]; then
    log "${STACK}_$service -> $image"
    docker service update --detach --with-registry-auth "${resolve[@]}" --image "$image" "${STACK}_$service" > /dev/null
  else
    log "${STACK}_$service -> its previous spec"
    docker service rollback --detach "${STACK}_$service" > /dev/null
  fi
done
status=0
for service in minitwit-web minitwit-api; do
  if [ -n "${already[$service]:-}" ]; then
    wait_for_replicas "$service" || status=1
  else
    wait_for_update "$service" || status=1
  fi
done
[ "$status" = 0 ] && log "rolled back: web and api run $(current_image minitwit-web)"
exit "$status"
