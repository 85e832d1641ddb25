#!/usr/bin/env bash
# Usage: scripts/container/make-base.sh [--force]
#
# Makes a stand-in for the Dockerfile's base image (ARG NODE_IMAGE, the official
# node:<version>-trixie-slim) from what this machine has, for machines with no registry to pull it
# from: Debian (the release the tag names) by debootstrap (Debian's packages), plus this machine's own Node.js, npm and
# Node's headers laid out where the official image has them (/usr/local), its CA bundle with an npmrc
# naming it, and a `node` user with uid/gid 1000. It is tagged with the base image's exact name in
# buildah's storage, so `buildah bud --pull=never` builds the real Dockerfile on it. (With a Docker
# engine, scripts/container/stand-ins.sh makes it from Node.js's official build instead.)
#
# The debootstrap result is cached in $MINITWIT_CI_CACHE (default /var/cache/minitwit-ci) and refreshed
# after $MINITWIT_ROOTFS_MAX_AGE_DAYS days (default 7); the stand-in is rebuilt only when its inputs
# change (Node's binary, npm, headers, CA bundle, this script) or with --force. Runs as root.
#
# What differs from the real image: the Node.js version is this machine's (the tag names the real one),
# the CA bundle and npmrc are added (the real image has neither; npm uses Node's own CAs there), no yarn.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"

FORCE=false
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --force) FORCE=true ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

if [ "$(container_engine)" = docker ]; then
  log "a Docker engine is here: it pulls the real base image, no stand-in needed"
  exit 0
fi

BASE=$(dockerfile_base_image)
# The Debian release the tag names (node:24.11.1-trixie-slim: trixie).
SUITE=$(sed -E 's/.*-(bookworm|trixie)(-slim)?$/\1/' <<< "$BASE")
case "$SUITE" in bookworm | trixie) ;; *) die "no Debian release in the base image's tag: $BASE" ;; esac
ROOTFS_TAR=$(rootfs_tar "$SUITE")

NODE_BIN=$(readlink -f "$(command -v node)")
NPM_DIR=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
COREPACK_DIR="$(dirname "$NPM_DIR")/corepack"
NODE_HEADERS="$(npm config get nodedir 2> /dev/null || echo /usr)/include/node"
[ -f "$NODE_HEADERS/node.h" ] || NODE_HEADERS=/usr/include/node
[ -f "$NODE_HEADERS/node.h" ] || die "Node's headers not found (node-gyp needs them): install them or set nodedir"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -f "$CA_BUNDLE" ] || die "no CA bundle at $CA_BUNDLE"

prepare_buildah
ensure_rootfs "$SUITE"

inputs_hash() {
  {
    sha256sum "$NODE_BIN" "$ROOTFS_TAR" "$CA_BUNDLE" "$0" "$REPO_ROOT/scripts/container/lib.sh"
    "$NODE_BIN" "$NPM_DIR/bin/npm-cli.js" --version
    find "$NODE_HEADERS" -type f -printf '%P %s\n' | sort
  } | sha256sum | cut -c1-16
}
INPUTS=$(inputs_hash)
if ! $FORCE && [ "$(bah inspect --type image --format '{{index .Docker.Config.Labels "org.minitwit.stand-in.inputs"}}' "$BASE" 2> /dev/null)" = "$INPUTS" ]; then
  log "stand-in $BASE is up to date"
  exit 0
fi

log "making the stand-in $BASE (Node.js $("$NODE_BIN" --version) from this machine)"
ctr=$(bah from --pull=never scratch)
trap 'bah rm "$ctr" > /dev/null 2>&1 || true' EXIT
root=$(bah mount "$ctr")
tar -C "$root" --numeric-owner -xf "$ROOTFS_TAR"

# Node.js where the official image has it: /usr/local/{bin,lib/node_modules,include/node}.
install -D -m 0755 "$NODE_BIN" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include" "$root/usr/local/etc"
cp -a "$NPM_DIR" "$root/usr/local/lib/node_modules/npm"
[ -d "$COREPACK_DIR" ] && cp -a "$COREPACK_DIR" "$root/usr/local/lib/node_modules/corepack"
cp -a "$NODE_HEADERS" "$root/usr/local/include/node"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
[ -d "$COREPACK_DIR" ] && ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
ln -s node "$root/usr/local/bin/nodejs"

# This machine reaches the npm registry only through its own CA bundle; npm's global config names it,
# and names the headers for node-gyp (the Dockerfile also sets npm_config_nodedir=/usr/local).
install -D -m 0644 "$CA_BUNDLE" "$root/etc/ssl/certs/ca-certificates.crt"
printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nnodedir=/usr/local\n' > "$root/usr/local/etc/npmrc"

# The official image's user and entrypoint.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
write_node_entrypoint "$root/usr/local/bin/docker-entrypoint.sh"
chroot "$root" node --version > /dev/null || die "the stand-in's node does not run"

bah umount "$ctr" > /dev/null
bah config \
  --env "NODE_VERSION=$("$NODE_BIN" -p 'process.versions.node')" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --entrypoint '["docker-entrypoint.sh"]' --cmd node \
  --label "org.minitwit.stand-in.for=$BASE" --label "org.minitwit.stand-in.inputs=$INPUTS" \
  "$ctr"
bah commit --quiet --format docker --rm "$ctr" "$BASE" > /dev/null
trap - EXIT
bah rmi --prune > /dev/null 2>&1 || true
log "stand-in ready: $BASE ($(bah images --format '{{.Size}}' "$BASE"))"
