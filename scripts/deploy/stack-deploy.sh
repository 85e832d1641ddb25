#!/usr/bin/env bash
# Usage: scripts/deploy/stack-deploy.sh (--host MANAGER | --local) --image IMAGE
#          [--postgres-image IMAGE] [--backup-image IMAGE] [--override FILE]... [--no-smoke] [--smoke-cacert FILE]
#
# Releases IMAGE (an exact tag, e.g. docker.io/acme/minitwit:1.4.0) to the swarm whose manager is
# MANAGER (ssh://user@host or user@host; the docker CLI reaches it over SSH), or with --local to the
# swarm of the engine DOCKER_HOST names (CI's swarm step):
#   1. `docker stack deploy` of every stack file, always together: deploy/swarm/stack.yml and
#      deploy/backup/stack.backup.yml (then each --override, e.g. deploy/swarm/stack.test.yml), with
#      MINITWIT_IMAGE=IMAGE and CONFIG_VERSION (a hash of the stack's config files). No --prune: a service
#      that leaves the files is removed by hand (`docker service rm`), so that a deploy can never drop
#      the backups. PostgreSQL and the backup services keep the images they run unless --postgres-image
#      or --backup-image names a new one (the first deploy must): an app release leaves their spec, and
#      so PostgreSQL, untouched. web and api then roll one replica at a time (start-first, health-gated),
#      and Swarm itself rolls a service back if a new replica fails;
#   2. waits for both updates to complete, and checks that postgres, pgbackrest and backup are there;
#   3. smoke-tests through the edge (scripts/deploy/smoke.sh, https://MINITWIT_WEB_HOST and
#      https://MINITWIT_API_HOST);
#   4. if 2 or 3 fails, rolls web and api back to the image they ran before (scripts/deploy/rollback.sh)
#      and exits 1.
# Settings from the environment (deploy/swarm/README.md): MINITWIT_WEB_HOST, MINITWIT_API_HOST,
# BACKUP_S3_BUCKET, BACKUP_S3_ENDPOINT (https://fra1.digitaloceanspaces.com), BACKUP_S3_REGION;
# RESOLVE_IMAGE (docker stack deploy --resolve-image, default always; never where no registry is);
# EDGE_HTTPS_PORT (the edge's published HTTPS port when not 443: the test override's); SMOKE_RESOLVE (an
# address the smoke test takes both names to be, see smoke.sh --resolve); SIMULATOR_USERNAME and
# SIMULATOR_PASSWORD (the smoke test's replay: the values of the swarm's two simulator secrets).
source "$(dirname "$0")/lib.sh"
host="" local_engine=false image="" postgres_image=${MINITWIT_POSTGRES_IMAGE:-} backup_image=${MINITWIT_BACKUP_IMAGE:-}
smoke=true smoke_cacert="" overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --host) host=${2:?}; shift ;;
    --local) local_engine=true ;;
    --image) image=${2:?}; shift ;;
    --postgres-image) postgres_image=${2:?}; shift ;;
    --backup-image) backup_image=${2:?}; shift ;;
    --override) overrides+=("${2:?}"); shift ;;
    --no-smoke) smoke=false ;;
    --smoke-cacert) smoke_cacert=${2:?}; shift ;;
    # Before --local existed: --public-host named where the published ports were; the edge's names do now.
    --public-host) log "--public-host is ignored: the smoke test goes through MINITWIT_WEB_HOST and MINITWIT_API_HOST"; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if { [ -z "$host" ] && ! $local_engine; } || [ -z "$image" ]; then die "--host (or --local) and --image are required (see --help)"; fi
[ -z "$host" ] || use_host "$host"
: "${MINITWIT_WEB_HOST:?set MINITWIT_WEB_HOST (public name of the web pages)}"
: "${MINITWIT_API_HOST:?set MINITWIT_API_HOST (public name of the API)}"
: "${BACKUP_S3_BUCKET:?set BACKUP_S3_BUCKET (the Spaces bucket of the backups)}"
: "${BACKUP_S3_ENDPOINT:?set BACKUP_S3_ENDPOINT, e.g. https://fra1.digitaloceanspaces.com}"
cd "$REPO_ROOT"

previous=$(current_image minitwit-web || true)
[ -n "$postgres_image" ] || postgres_image=$(current_image postgres || true)
[ -n "$backup_image" ] || backup_image=$(current_image backup || true)
[ -n "$postgres_image" ] || die "no postgres service runs yet: name its image with --postgres-image (deploy/postgres)"
[ -n "$backup_image" ] || die "no backup service runs yet: name its image with --backup-image (deploy/backup)"
log "deploying $image to stack $STACK on ${DOCKER_HOST:-the local engine} (web and api run ${previous:-nothing yet})"
log "postgres and pgbackrest: $postgres_image; backup: $backup_image"
CONFIG_VERSION=$(cat deploy/swarm/secret-env.sh deploy/swarm/Caddyfile deploy/prometheus/alertmanager.yml \
  deploy/prometheus/prometheus.swarm.yml deploy/prometheus/rules/*.yml deploy/prometheus/postgres-exporter-queries.yml \
  deploy/grafana/provisioning/*/*.yml deploy/grafana/dashboards/*.json deploy/logging/filebeat.yml \
  deploy/logging/setup.sh deploy/logging/*.json | sha256sum | cut -c1-10)
# pgBackRest wants the endpoint's host name, the backup tool its URL: one setting, both forms.
BACKUP_S3_ENDPOINT_HOST=$(printf '%s' "$BACKUP_S3_ENDPOINT" | sed -E 's#^[a-z]+://##; s#/.*$##')
export CONFIG_VERSION MINITWIT_IMAGE=$image MINITWIT_POSTGRES_IMAGE=$postgres_image \
  MINITWIT_BACKUP_IMAGE=$backup_image BACKUP_S3_ENDPOINT_HOST
files=(--compose-file deploy/swarm/stack.yml --compose-file deploy/backup/stack.backup.yml)
for file in "${overrides[@]}"; do files+=(--compose-file "$file"); done
docker stack deploy --with-registry-auth --resolve-image "${RESOLVE_IMAGE:-always}" "${files[@]}" "$STACK"

rollback() {
  log "release failed: $1"
  if [ -n "$previous" ] && [ "$previous" != "$image" ]; then
    if [ -n "$host" ]; then target=(--host "$DOCKER_HOST"); else target=(--local); fi
    "$REPO_ROOT/scripts/deploy/rollback.sh" "${target[@]}" --image "$previous"
  fi
  exit 1
}
wait_for_update minitwit-web || rollback "minitwit-web did not update"
wait_for_update minitwit-api || rollback "minitwit-api did not update"
for service in postgres pgbackrest backup; do
  docker service inspect "${STACK}_$service" > /dev/null 2>&1 || die "${STACK}_$service is missing after the deploy"
done
if $smoke; then
  port=${EDGE_HTTPS_PORT:+:$EDGE_HTTPS_PORT}
  "$REPO_ROOT/scripts/deploy/smoke.sh" --web "https://$MINITWIT_WEB_HOST$port" --api "https://$MINITWIT_API_HOST$port" \
    --image "$image" ${smoke_cacert:+--cacert "$smoke_cacert"} ${SMOKE_RESOLVE:+--resolve "$SMOKE_RESOLVE"} \
    || rollback "smoke test failed"
fi
log "released $image"
