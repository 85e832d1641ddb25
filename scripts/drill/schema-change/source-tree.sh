#!/usr/bin/env bash
# Usage: scripts/drill/schema-change/source-tree.sh expand|contract|drop DIR
#
# Writes into DIR (empty or new) the source of one release of the schema-change drill (scripts/deploy/
# cluster.sh --faults; the rule it proves: deploy/swarm/README.md, "Changing the schema under a rolling
# update"): this checkout's tracked files as they are now, with
#   expand    expand.patch (write text and content, read text or else content) and expand.sql;
#   contract  contract.patch (read and write content alone), expand.sql and contract.sql;
#   drop      contract's code, expand.sql, contract.sql and drop.sql (text dropped).
# The migrations are numbered after the checkout's last one. Build the image from DIR: `docker build
# --target app DIR`.
source "$(dirname "$0")/../../deploy/lib.sh"
cd "$REPO_ROOT"
release=${1:-} dir=${2:-}
case "$release" in
  expand | contract | drop) ;;
  -h | --help) usage_from_header "$0"; exit 0 ;;
  *) die "give expand, contract or drop, and DIR (see --help)" ;;
esac
[ -n "$dir" ] || die "give DIR (see --help)"
here=scripts/drill/schema-change
mkdir -p "$dir"
[ -z "$(ls -A "$dir")" ] || die "$dir is not empty"
# The tracked files with their uncommitted changes (a stash commit, made without touching the checkout),
# as the release 1 image built from this checkout has them.
snapshot=$(git stash create)
git archive "${snapshot:-HEAD}" | tar -x -C "$dir"
code_change='expand'
[ "$release" = expand ] || code_change=contract
(cd "$dir" && git apply "$REPO_ROOT/$here/$code_change.patch") || die "$here/$code_change.patch no longer applies: refresh it"
last=$(find src/db/migrations -name '[0-9]*_*.sql' -printf '%f\n' | sort | tail -1)
next=$((10#${last%%_*} + 1))
migrations=(expand)
[ "$release" = expand ] || migrations+=(contract)
[ "$release" != drop ] || migrations+=(drop)
for name in "${migrations[@]}"; do
  cp "$here/$name.sql" "$dir/src/db/migrations/$(printf '%03d' "$next")_messages_content_$name.sql"
  next=$((next + 1))
done
