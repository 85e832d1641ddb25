#!/usr/bin/env bash
# Three nodes for real: a swarm of three engines and three managers, a drain under a replay, a lost node, a release without it.
# scripts/deploy/cluster.sh test --faults (its header says what it checks): three Docker Engines, each in a
# network namespace of its own (not steps 90's and 95's: other data roots, sockets, namespaces and
# addresses, so that they can run at once), a swarm of three managers, the database labelled on node 3 by
# its node ID, the images loaded into every engine, the release script, the smoke test through the edge,
# every replica where production puts it. Then, under a replay through the edge: node 2 drained and
# brought back (no error, every acknowledged write in the database); under a second replay, node 2 lost
# (its link cut): every error explained by the cut (requests the edge may have had on node 2, and 404s
# after a sign-up among them; cluster.sh's loss part defines them), every acknowledged write in the
# database, the times until node 2 is Down, out of the edge's DNS and web and api full again printed; a
# release while it is gone (2 of 3 managers) succeeds, and its smoke test passes after the replay. Prints
# its figures. Last, a schema change under a replay (--schema-change): messages.text replaced by
# messages.content in three releases (expand, contract, drop) rolled across the three nodes: no error, no
# acknowledged write lost. Bounded: stopped (and cleaned up) after CLUSTER_TIMEOUT seconds (default 1800). Runs as root. Leaves no
# process, mount, namespace, swarm or iptables rule behind; each engine's images stay in its data root
# under $MINITWIT_CI_CACHE (cluster-engine, cluster-engine-2, cluster-engine-3) for the next run.
source "$(dirname "$0")/../lib.sh"
engine_step 97-cluster
generated=$(mktemp /tmp/minitwit-cluster-scenario.XXXXXX)
trap 'rm -f "$generated"' EXIT
course_scenario "$generated" 6000 ci-cluster
# TERM first: the test's trap removes the stack, the swarm, the engines and the namespaces (about 30 s; a run
# TERMed mid-release took longer than the minute first allowed here, and was KILLed before its cleanup ended);
# KILL five minutes later.
bounded_run 97-cluster "${CLUSTER_TIMEOUT:-1800}" 300 scripts/deploy/cluster.sh test --faults --schema-change --csv "$SCENARIO" \
  --rate "${CLUSTER_REPLAY_RATE:-40}"
