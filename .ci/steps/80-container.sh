#!/usr/bin/env bash
# The image: on this machine (no Docker engine, no registry) a stand-in for the Dockerfile's base image
# from Debian and this machine's Node.js, then the real Dockerfile built with buildah and run as its
# own user on the embedded database and on the PostgreSQL server (scripts/container/). With a Docker
# engine (CircleCI) the same scripts build and run with docker on the real base image.
source "$(dirname "$0")/../lib.sh"
started=$(date +%s)
scripts/container/make-base.sh
scripts/container/build.sh
# Without an engine the smoke test runs the host's replay tool and uses the PostgreSQL server; with
# docker, the image's own tools and a postgres container of its own.
if [ "${MINITWIT_CONTAINER_ENGINE:-auto}" = buildah ] || ! docker info > /dev/null 2>&1; then
  [ -d node_modules ] || npm ci --no-audit --no-fund
  npm run build --silent
  ensure_postgres
fi
scripts/container/smoke.sh
echo "container step: $(($(date +%s) - started)) s"
