# shellcheck shell=bash
# Shared by scripts/container/*.sh: buildah without a Docker engine (as root, chroot isolation, vfs
# storage), kept in its own storage under the CI cache so that it never mixes with other images on the
# machine, and a cache that makes a second run faster but is never required.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Outside the clone: CI runs in a fresh clone each time.
CACHE_DIR=${MINITWIT_CI_CACHE:-/var/cache/minitwit-ci}
STORAGE_ROOT=${MINITWIT_BUILDAH_ROOT:-$CACHE_DIR/containers}
RUN_ROOT=${MINITWIT_BUILDAH_RUNROOT:-/run/minitwit-ci/containers}
# shellcheck disable=SC2034 # used by the scripts that source this file
IMAGE=${MINITWIT_IMAGE:-localhost/minitwit:ci}
export BUILDAH_ISOLATION=chroot

# With a Docker engine (CircleCI's machine executor, a laptop) the scripts use it; without one (this
# machine, CI here) buildah. MINITWIT_CONTAINER_ENGINE=docker|buildah forces one.
container_engine() {
  case "${MINITWIT_CONTAINER_ENGINE:-auto}" in
    docker | buildah) echo "$MINITWIT_CONTAINER_ENGINE" ;;
    auto) if docker info > /dev/null 2>&1; then echo docker; else echo buildah; fi ;;
    *) die "MINITWIT_CONTAINER_ENGINE must be docker, buildah or auto" ;;
  esac
}

# Short names (FROM node:...) resolve to Docker Hub's library, as they do for Docker; with --pull=never
# nothing is fetched, so the image must already be in local storage (the stand-in).
REGISTRIES_CONF="$CACHE_DIR/registries.conf"
export CONTAINERS_REGISTRIES_CONF="$REGISTRIES_CONF"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Prints the comment block at the top of the calling script (after the shebang) as its --help.
usage_from_header() {
  sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$1"
}

require_root() {
  [ "$(id -u)" = 0 ] || die "run as root: buildah without an engine needs root here (chroot isolation, vfs)"
}

# Installs Debian packages that are missing (apt-get update first, as this machine needs).
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2> /dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
}

prepare_buildah() {
  require_root
  ensure_packages buildah
  mkdir -p "$CACHE_DIR" "$STORAGE_ROOT" "$RUN_ROOT"
  if [ ! -f "$REGISTRIES_CONF" ]; then
    printf 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n' > "$REGISTRIES_CONF"
  fi
}

bah() {
  buildah --root "$STORAGE_ROOT" --runroot "$RUN_ROOT" --storage-driver vfs "$@"
}

# The base image the Dockerfile names (its NODE_IMAGE build argument's default), fully qualified.
dockerfile_base_image() {
  local name
  name=$(sed -n 's/^ARG NODE_IMAGE=//p' "$REPO_ROOT/Dockerfile" | head -n 1)
  [ -n "$name" ] || die "no 'ARG NODE_IMAGE=...' in $REPO_ROOT/Dockerfile"
  case "$name" in
    */*/*) printf '%s\n' "$name" ;;
    */*) printf 'docker.io/%s\n' "$name" ;;
    *) printf 'docker.io/library/%s\n' "$name" ;;
  esac
}
