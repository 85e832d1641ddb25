#!/usr/bin/env bash
# A release on a real one-node swarm: rolling update under a replay, automatic rollback, backups kept, PITR.
# scripts/deploy/swarm-test.sh (its header says what it checks): a Docker Engine of its own in a network
# namespace of its own (not step 90's: another data root, socket, pidfile, namespace and addresses, so the
# two can run at once), `docker swarm init`, the stand-in base images, the release script's --local mode
# with deploy/swarm/stack.test.yml. The course's scenario ($SHARED/data/minitwit_scenario.csv; a generated
# one without it) is replayed through the edge during release 2. Prints its figures (replay errors,
# acknowledged writes lost, replacement and rollback times, PITR) and fails on any error. Bounded: the
# test is stopped (and cleans up) after SWARM_TIMEOUT seconds (default 1500; about 10 minutes here once
# the images are cached, 20 more the first time, to build the stand-ins and the app's image). Runs as
# root. Leaves no process, mount, namespace, swarm or iptables rule behind; the images and build cache
# stay in $MINITWIT_CI_CACHE/swarm-engine.
source "$(dirname "$0")/../lib.sh"
engine_step 95-swarm
generated=$(mktemp /tmp/minitwit-swarm-scenario.XXXXXX)
trap 'rm -f "$generated"' EXIT
course_scenario "$generated" 6000 ci-swarm
# TERM first: the test's trap removes the stack, the swarm and the engine; KILL a minute later.
bounded_run 95-swarm "${SWARM_TIMEOUT:-1500}" 60 scripts/deploy/swarm-test.sh --csv "$SCENARIO" \
  --limit "${SWARM_REPLAY_LIMIT:-6000}" --rate "${SWARM_REPLAY_RATE:-40}"
