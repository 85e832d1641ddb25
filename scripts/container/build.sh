#!/usr/bin/env bash
# Usage: scripts/container/build.sh [--tag NAME] [--version V] [--layers]
#
# Builds the repository's Dockerfile. Without a Docker engine, with buildah (as root, chroot isolation,
# vfs storage) on the base image already in local storage (--pull=never: run make-base.sh first where
# no registry can be reached), in Docker's image format (OCI images have no HEALTHCHECK); with an engine
# (see MINITWIT_CONTAINER_ENGINE in lib.sh), `docker build`, which pulls the real base. The image is
# tagged NAME (default $MINITWIT_IMAGE or localhost/minitwit:ci), labelled with VERSION (default
# `git describe`) and the git revision, and its size is printed. --layers keeps each step as a cached
# layer, so a rebuild with the same package-lock.json skips npm ci (costs disk: vfs copies every layer).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

LAYERS=false
VERSION=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --tag) IMAGE=${2:?--tag needs a name}; shift ;;
    --version) VERSION=${2:?--version needs a value}; shift ;;
    --layers) LAYERS=true ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

cd "$REPO_ROOT"
REVISION=$(git rev-parse HEAD 2> /dev/null || echo unknown)
[ -n "$VERSION" ] || VERSION=$(git describe --tags --always --dirty 2> /dev/null || echo 0.0.0-dev)
BUILD_ARGS=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION"
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
started=$(date +%s)

if [ "$(container_engine)" = docker ]; then
  log "building $IMAGE (version $VERSION, revision $REVISION) with docker"
  docker build --pull "${BUILD_ARGS[@]}" --tag "$IMAGE" --file Dockerfile .
  log "built $IMAGE in $(($(date +%s) - started)) s; size $(docker image inspect --format '{{.Size}}' "$IMAGE") bytes"
  exit 0
fi

prepare_buildah
BASE=$(dockerfile_base_image)
bah inspect --type image "$BASE" > /dev/null 2>&1 \
  || die "base image $BASE is not in local storage: run scripts/container/make-base.sh (or pull it)"

log "building $IMAGE (version $VERSION, revision $REVISION) on $BASE"
bah bud --pull=never --format docker --layers="$LAYERS" "${BUILD_ARGS[@]}" \
  --tag "$IMAGE" --file Dockerfile .
# The replaced image (same tag) and, without --layers, the build stage are left dangling: drop them.
bah rmi --prune > /dev/null 2>&1 || true
log "built $IMAGE in $(($(date +%s) - started)) s; size $(bah images --format '{{.Size}}' "$IMAGE")"
