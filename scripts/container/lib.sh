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

# shellcheck source=scripts/lib/apt.sh
source "$REPO_ROOT/scripts/lib/apt.sh"

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Where the debootstrap of Debian release $1 (minbase) is kept.
rootfs_tar() { echo "$CACHE_DIR/debootstrap/$1-minbase.tar"; }

# Debian release $1, minimal, trimmed as Debian's -slim images are (no docs, man pages or locales), with
# apt's sources and no recommends: debootstrap'd into rootfs_tar, again after MINITWIT_ROOTFS_MAX_AGE_DAYS
# days (default 7). The base images' stand-ins (make-base.sh, stand-ins.sh) are made from it.
ensure_rootfs() {
  local suite=$1 tar dir
  tar=$(rootfs_tar "$suite")
  if [ -f "$tar" ] && [ -z "$(find "$tar" -mtime +"${MINITWIT_ROOTFS_MAX_AGE_DAYS:-7}")" ]; then return 0; fi
  ensure_packages debootstrap debian-archive-keyring
  dir=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  log "debootstrap $suite (minbase) from $MIRROR"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$dir" "$MIRROR" > "$CACHE_DIR/debootstrap-$suite.log" 2>&1 \
    || { tail -20 "$CACHE_DIR/debootstrap-$suite.log" >&2; rm -rf "$dir"; die "debootstrap failed"; }
  cat > "$dir/etc/dpkg/dpkg.cfg.d/docker-slim" << 'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$dir/etc/apt/apt.conf.d/90-no-recommends"
  find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$dir"/usr/share/{man,groff,info,lintian,linda,locale}/* "$dir"/var/lib/apt/lists/* \
    "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/*.log
  rm -f "$dir/etc/apt/sources.list"
  cat > "$dir/etc/apt/sources.list.d/debian.sources" << SOURCES
Types: deb
URIs: $MIRROR
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  mkdir -p "$(dirname "$tar")"
  tar -C "$dir" --numeric-owner -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  rm -rf "$dir"
}

# The official node image's entrypoint, at $1: a first argument that is an option or not a command is
# given to node.
write_node_entrypoint() {
  cat > "$1" << 'ENTRY'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || ! command -v -- "$1" > /dev/null 2>&1; then
  set -- node "$@"
fi
exec "$@"
ENTRY
  chmod 0755 "$1"
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
