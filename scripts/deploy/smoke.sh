#!/usr/bin/env bash
# Usage: scripts/deploy/smoke.sh --host HOST [--image IMAGE] [--actions N]
#
# Smoke-tests a deployment from outside, through the published ports: /healthz and /readyz on the web
# (5000) and API (5001) ports, the public timeline, then a short replay (N actions, default 40) of a
# scenario generated with a fresh seed, so its users are new ones. The replay and scenario tools run
# from IMAGE (default: the image the API service runs) with docker, so nothing but docker is needed.
# The replay moves the simulator's /latest: its value is read before and written back after.
source "$(dirname "$0")/lib.sh"
host="" image="" actions=40
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --host) host=${2:?}; shift ;;
    --image) image=${2:?}; shift ;;
    --actions) actions=${2:?}; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
[ -n "$host" ] || die "--host is required (see --help)"
web="http://$host:5000" api="http://$host:5001"
auth="${SIMULATOR_USERNAME:-simulator}:${SIMULATOR_PASSWORD:-super_safe!}"

for url in "$web/healthz" "$web/readyz" "$api/healthz" "$api/readyz" "$web/public"; do
  curl -fsS -o /dev/null --max-time 10 --retry 5 --retry-all-errors "$url" || die "GET $url failed"
  log "GET $url: OK"
done

[ -n "$image" ] || image=$(current_image minitwit-api)
latest=$(curl -fsS --max-time 10 -u "$auth" "$api/latest" | sed -n 's/.*"latest":\(-\{0,1\}[0-9]*\).*/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"
tools() { DOCKER_HOST="" docker run --rm -v "$work:/work" --entrypoint node "$image" "$@"; }
tools dist/scripts/scenario.js --actions "$actions" --seed "smoke-$(date +%s)-$RANDOM" --out /work/scenario.csv
status=0
tools dist/scripts/replay.js --url "$api" --csv /work/scenario.csv --timeout-ms 2000 --quiet \
  --user "${auth%%:*}" --password "${auth#*:}" || status=$?
# Give the simulator its /latest back (the newest value wins).
if [ -n "$latest" ]; then
  curl -fsS -o /dev/null --max-time 10 -u "$auth" "$api/msgs?no=1&latest=$latest" || log "could not restore /latest=$latest"
fi
[ "$status" = 0 ] || die "the smoke replay failed"
log "smoke test passed: $web, $api"
