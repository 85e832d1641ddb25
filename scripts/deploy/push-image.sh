#!/usr/bin/env bash
# Usage: scripts/deploy/push-image.sh --image LOCAL --repository REPO [--release-tags] [TAG...]
#
# Tags the locally built image LOCAL as REPO:TAG for each TAG and pushes them (logging in first with
# DOCKER_USERNAME and DOCKER_PASSWORD when they are set). --release-tags adds the pipeline's tags: the
# commit (12 hex digits); `main` on branch main; on a release tag vX.Y.Z, X.Y.Z and `latest` (from
# CircleCI's CIRCLE_SHA1, CIRCLE_BRANCH, CIRCLE_TAG, else from git).
source "$(dirname "$0")/lib.sh"
local_image="" repository="" tags=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --image) local_image=${2:?}; shift ;;
    --repository) repository=${2:?}; shift ;;
    --release-tags)
      sha=${CIRCLE_SHA1:-$(git rev-parse HEAD)}
      tags+=("${sha:0:12}")
      [ "${CIRCLE_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}" != main ] || tags+=(main)
      release=${CIRCLE_TAG:-$(git describe --exact-match --tags 2> /dev/null || true)}
      if [[ $release =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then tags+=("${release#v}" latest); fi
      ;;
    *) tags+=("$1") ;;
  esac
  shift
done
if [ -z "$local_image" ] || [ -z "$repository" ] || [ ${#tags[@]} -eq 0 ]; then die "see --help"; fi
if [ -n "${DOCKER_USERNAME:-}" ] && [ -n "${DOCKER_PASSWORD:-}" ]; then
  printf '%s' "$DOCKER_PASSWORD" | docker login --username "$DOCKER_USERNAME" --password-stdin "${repository%%/*}"
fi
for tag in "${tags[@]}"; do
  docker tag "$local_image" "$repository:$tag"
  docker push "$repository:$tag"
  log "pushed $repository:$tag"
done
