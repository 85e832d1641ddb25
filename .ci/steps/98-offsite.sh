#!/usr/bin/env bash
# The off-site host: the database node lost, then every node lost, each time PostgreSQL brought back from it.
# An off-site host (scripts/deploy/offsite.sh: an S3 server over TLS on a namespace of its own, in place of
# Spaces) and a cluster of three engines using it for pgBackRest's repo2 (scripts/deploy/cluster.sh up
# --offsite-dir); then scripts/deploy/offsite-drill.sh: database-node (writes replayed through the edge,
# node 3 cut off, PostgreSQL restored on node 2 from repo2 and its archived WAL, the release deployed again:
# the recovery time and the acknowledged writes lost) and from-nothing (writes, the three nodes destroyed, a
# new cluster from the off-site host and the secrets' copy alone: RTO and RPO). None of the writes archived
# before a loss may be lost. Bounded: OFFSITE_TIMEOUT seconds (default 1500) for the whole, then the
# cleanup. Runs as root; leaves no process, mount, namespace or iptables rule behind.
source "$(dirname "$0")/../lib.sh"
engine_step 98-offsite
work=$(mktemp -d /tmp/minitwit-offsite.XXXXXX)
cleanup() {
  local code=$? dir
  for dir in "$work/cluster" "$work/cluster-new"; do
    [ ! -d "$dir" ] || scripts/deploy/cluster.sh down --dir "$dir" || code=1
  done
  scripts/deploy/offsite.sh stop --dir "$work/offsite" || code=1
  rm -rf "$work"
  echo "98-offsite: $(($(date +%s) - step_started)) s"
  exit "$code"
}
trap cleanup EXIT
course_scenario "$work/scenario.csv" 3000 ci-offsite
deadline=$(($(date +%s) + ${OFFSITE_TIMEOUT:-1500}))
left() { echo $((deadline - $(date +%s))); }
# The cluster's link addresses (cluster.sh: 10.234.<254 - slot>.0/24), the fourth /30 for the off-site host.
scripts/deploy/offsite.sh start --dir "$work/offsite" --link "10.234.$((254 - ${CLUSTER_SLOT:-0})).16/30" > /dev/null
mkdir "$work/cluster"
timeout --kill-after=60 "$(left)" scripts/deploy/cluster.sh up --dir "$work/cluster" --offsite-dir "$work/offsite"
timeout --kill-after=60 "$(left)" scripts/deploy/offsite-drill.sh database-node --dir "$work/cluster" \
  --csv "$SCENARIO" --rate "${CLUSTER_REPLAY_RATE:-40}"
timeout --kill-after=60 "$(left)" scripts/deploy/offsite-drill.sh from-nothing --dir "$work/cluster" \
  --new-dir "$work/cluster-new" --offsite-dir "$work/offsite" --rate "${CLUSTER_REPLAY_RATE:-40}"
