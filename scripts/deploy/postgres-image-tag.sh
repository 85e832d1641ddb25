#!/usr/bin/env bash
# Usage: scripts/deploy/postgres-image-tag.sh
#
# Prints the tag of the PostgreSQL image (deploy/postgres/Dockerfile) for this commit: `17-` and a hash of
# the files it is built from. CI pushes the image under it, and a release deploys it: as long as those
# files do not change, every release names the same image, so the postgres service's spec is unchanged
# and Swarm leaves PostgreSQL running (an app release never restarts the database).
source "$(dirname "$0")/lib.sh"
case "${1:-}" in -h | --help) usage_from_header "$0"; exit 0 ;; esac
cd "$REPO_ROOT"
files=$(git ls-files deploy/postgres scripts/pitr-restore.sh)
# shellcheck disable=SC2086 # one word per file (no spaces in these paths)
printf '17-%s\n' "$(cat $files | sha256sum | cut -c1-12)"
