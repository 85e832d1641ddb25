#!/usr/bin/env bash
# Usage: scripts/deploy/smoke.sh --web URL --api URL [--image IMAGE] [--actions N] [--cacert FILE]
#                                [--resolve ADDRESS]
#
# Smoke-tests a deployment from outside, through the edge (https://<web name>, https://<api name>):
# /healthz and /readyz of web and API, the public timeline, HSTS on the pages, then a short replay (N
# actions, default 40) of a scenario generated with a fresh seed and a user suffix of its own
# (` smoke-<time>-<random>`), so its users are new ones, never a real user's nor another replay's. The
# simulator's credentials come from SIMULATOR_USERNAME and SIMULATOR_PASSWORD (the values of the secrets
# minitwit_simulator_username and minitwit_simulator_password): there is no default. The replay and
# scenario tools run from IMAGE (default: the image the API service runs) with docker on this machine
# (its own engine: DOCKER_HOST is cleared when it points at a remote manager), so nothing but docker is
# needed. --cacert: the CA that signed the edge's certificate, when it is not a public one (CI's `tls
# internal`). --resolve: the two URLs' host names are taken to be ADDRESS, whatever DNS says (an edge not yet
# in DNS; CI's names). The replay moves the simulator's /latest: its value is read before and written back after.
source "$(dirname "$0")/lib.sh"
web="" api="" image="" actions=40 cacert="" resolve=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --web) web=${2:?}; shift ;;
    --api) api=${2:?}; shift ;;
    --image) image=${2:?}; shift ;;
    --actions) actions=${2:?}; shift ;;
    --cacert) cacert=$(readlink -f "${2:?}"); shift ;;
    --resolve) resolve=${2:?}; shift ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if [ -z "$web" ] || [ -z "$api" ]; then die "--web and --api are required (see --help)"; fi
if [ -z "${SIMULATOR_USERNAME:-}" ] || [ -z "${SIMULATOR_PASSWORD:-}" ]; then
  die "set SIMULATOR_USERNAME and SIMULATOR_PASSWORD (the secrets minitwit_simulator_username and minitwit_simulator_password)"
fi
auth="$SIMULATOR_USERNAME:$SIMULATOR_PASSWORD"
curl_opts=(-fsS --max-time 10 ${cacert:+--cacert "$cacert"})
docker_opts=()
if [ -n "$resolve" ]; then
  for url in "$web" "$api"; do
    name=$(printf '%s' "$url" | sed -E 's#^[a-z]+://##; s#[:/].*$##')
    port=$(printf '%s' "$url" | sed -nE 's#^[a-z]+://[^:/]+:([0-9]+).*#\1#p')
    curl_opts+=(--resolve "$name:${port:-443}:$resolve")
    docker_opts+=(--add-host "$name:$resolve")
  done
fi

for url in "$web/healthz" "$web/readyz" "$api/healthz" "$api/readyz" "$web/public"; do
  curl "${curl_opts[@]}" -o /dev/null --retry 5 --retry-all-errors "$url" || die "GET $url failed"
  log "GET $url: OK"
done
headers=$(curl "${curl_opts[@]}" -o /dev/null -D - "$web/public") || die "GET $web/public failed"
grep -qi '^strict-transport-security:' <<< "$headers" || die "$web/public has no Strict-Transport-Security header"

[ -n "$image" ] || image=$(current_image minitwit-api)
latest=$(curl "${curl_opts[@]}" -u "$auth" "$api/latest" | sed -n 's/.*"latest":\(-\{0,1\}[0-9]*\).*/\1/p')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
[ -z "$cacert" ] || install -m 0644 "$cacert" "$work/ca.crt"
engine=${DOCKER_HOST:-}
case "$engine" in ssh://* | tcp://*) engine="" ;; esac
tools() {
  DOCKER_HOST=$engine docker run --rm --network host "${docker_opts[@]}" -v "$work:/work" \
    ${cacert:+-e NODE_EXTRA_CA_CERTS=/work/ca.crt} \
    --entrypoint node "$image" "$@"
}
chmod 777 "$work"
run_id="$(date +%s)-$RANDOM"
tools dist/scripts/minitwit.js scenario --actions "$actions" --seed "smoke-$run_id" --user-suffix " smoke-$run_id" \
  --out /work/scenario.csv
status=0
tools dist/scripts/minitwit.js replay --url "$api" --csv /work/scenario.csv --timeout-ms 2000 --quiet \
  --user "${auth%%:*}" --password "${auth#*:}" || status=$?
# Give the simulator its /latest back (the newest value wins).
if [ -n "$latest" ]; then
  curl "${curl_opts[@]}" -o /dev/null -u "$auth" "$api/msgs?no=1&latest=$latest" || log "could not restore /latest=$latest"
fi
[ "$status" = 0 ] || die "the smoke replay failed"
log "smoke test passed: $web, $api"
