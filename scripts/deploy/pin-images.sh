#!/usr/bin/env bash
# Usage: scripts/deploy/pin-images.sh [--check | --update] [STACK_FILE...]
#
# The third-party images of the swarm stack (default deploy/swarm/stack.yml) are pinned by digest:
# `image: NAME:TAG@sha256:DIGEST`. The tag says which release it is, the digest which bytes: Swarm pulls
# the digest, so a tag moved upstream (a rebuild, or a hijacked account) changes nothing until the pin is
# updated here, reviewed and committed. The images built here (MINITWIT_IMAGE and the like, `${...}`) are
# named by the release script and left alone.
#
#   (no option)  lists each image with its pin ("unpinned" when it has none); offline
#   --check      also asks the registry for the tag's digest now, and prints whether the pin is still the
#                tag's (a tag moved upstream is shown, not an error: the pinned bytes still pull); exits 1
#                if an image is unpinned or its pinned digest is not in the registry
#   --update     pins every image to its tag's digest in the registry now (rewrites the file); review
#                the diff (`git diff deploy/swarm/stack.yml`), deploy, commit
#
# The registry is asked over its own HTTP API (Docker Registry v2 / OCI distribution) with curl, so
# nothing but curl and sha256sum is needed: no engine, no buildx. `HEAD /v2/REPOSITORY/manifests/TAG`,
# accepting an OCI index, a Docker manifest list and either single manifest, answers the digest of the
# manifest (the multi-platform index when there is one) in `Docker-Content-Digest`; a registry that asks
# for a token (Docker Hub, quay.io, docker.elastic.co: `WWW-Authenticate: Bearer realm=...`) gets an
# anonymous pull token from its realm first. Public images only (no `docker login` credentials are
# read). `localhost` and `127.*` registries are asked over plain HTTP, every other over HTTPS.
# CI step 26 (.ci/steps/26-image-pins.sh) runs this against a local registry: --update pins, --check
# passes, a moved tag is shown, a pin that is not in the registry and an unpinned image exit 1.
#
# The three Elastic images (elasticsearch, kibana, filebeat 8.18.2) are NOT pinned yet: no public
# registry is reachable from the machines this project is built on. Pin them with
# `scripts/deploy/pin-images.sh --update` on a machine that reaches docker.elastic.co; until then
# this exits 1 listing them as unpinned.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
mode=list files=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage_from_header "$0"; exit 0 ;;
    --check) mode=check ;;
    --update) mode=update ;;
    -*) die "unknown option: $1 (see --help)" ;;
    *) files+=("$1") ;;
  esac
  shift
done
[ ${#files[@]} -gt 0 ] || files=("$REPO_ROOT/deploy/swarm/stack.yml")

MANIFEST_TYPES=application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json
MANIFEST_TYPES+=,application/vnd.docker.distribution.manifest.v2+json,application/vnd.oci.image.manifest.v1+json
REGISTRY_TIMEOUT=${REGISTRY_TIMEOUT:-20}

# Where an image reference lives: sets MANIFEST_URL (the registry's manifest of the tag or digest) and
# REPOSITORY. NAME is Docker's: no host means Docker Hub, and no namespace there means `library/`.
locate() {
  local name=${1%@*} reference=latest host first
  [ "$name" = "$1" ] || reference=${1#*@}
  # A tag is after the last `:` of the last path segment (a host's port is in the first).
  if [[ ${name##*/} == *:* ]]; then
    [ "$name" != "$1" ] || reference=${name##*:}
    name=${name%:*}
  fi
  first=${name%%/*}
  if [[ $name == */* ]] && [[ $first == *.* || $first == *:* || $first == localhost ]]; then
    host=$first REPOSITORY=${name#*/}
  else
    host=docker.io REPOSITORY=$name
    [[ $name == */* ]] || REPOSITORY=library/$name
  fi
  [ "$host" != docker.io ] || host=registry-1.docker.io
  case "$host" in
    localhost | localhost:* | 127.*) MANIFEST_URL=http://$host ;;
    *) MANIFEST_URL=https://$host ;;
  esac
  MANIFEST_URL+="/v2/$REPOSITORY/manifests/$reference"
}

# The response headers of a HEAD of the manifest, without CRs; extra curl arguments after.
manifest_head() {
  curl -sS -I --max-time "$REGISTRY_TIMEOUT" -H "Accept: $MANIFEST_TYPES" "$@" "$MANIFEST_URL" | tr -d '\r'
}
header() { grep -i "^$1:" | head -n 1 | sed -E 's/^[^:]*: *//'; }
status_of() { head -n 1 | cut -d' ' -f2; }

# The digest the registry gives NAME:TAG now (or NAME:TAG@sha256:...: whether that digest is there).
# Returns 1 when the registry has no such manifest, 2 when it could not be asked (said on stderr).
registry_digest() {
  local headers status challenge realm service scope token digest auth=()
  locate "$1"
  headers=$(manifest_head) || { log "$1: no answer from ${MANIFEST_URL%%/v2/*}"; return 2; }
  status=$(status_of <<< "$headers")
  if [ "$status" = 401 ]; then
    # The token dance: the challenge names the token service; an anonymous token for pulling.
    challenge=$(header www-authenticate <<< "$headers")
    realm=$(sed -nE 's/.*realm="([^"]*)".*/\1/p' <<< "$challenge")
    service=$(sed -nE 's/.*service="([^"]*)".*/\1/p' <<< "$challenge")
    scope=$(sed -nE 's/.*scope="([^"]*)".*/\1/p' <<< "$challenge")
    [ -n "$realm" ] || { log "$1: the registry wants credentials ($challenge)"; return 2; }
    token=$(curl -fsS --max-time "$REGISTRY_TIMEOUT" -G "$realm" --data-urlencode "service=$service" \
      --data-urlencode "scope=${scope:-repository:$REPOSITORY:pull}" \
      | sed -nE 's/.*"(access_token|token)" *: *"([^"]*)".*/\2/p') || true
    [ -n "$token" ] || { log "$1: no token from $realm"; return 2; }
    auth=(-H "Authorization: Bearer $token")
    headers=$(manifest_head "${auth[@]}") || { log "$1: no answer from ${MANIFEST_URL%%/v2/*}"; return 2; }
    status=$(status_of <<< "$headers")
  fi
  case "$status" in
    200) ;;
    404) return 1 ;;
    *) log "$1: ${MANIFEST_URL%%/v2/*} answered ${status:-nothing}"; return 2 ;;
  esac
  digest=$(header docker-content-digest <<< "$headers")
  # A registry that does not say it: the digest is the sha256 of the manifest's bytes as served.
  [ -n "$digest" ] || digest=sha256:$(curl -fsS --max-time "$REGISTRY_TIMEOUT" -H "Accept: $MANIFEST_TYPES" \
    "${auth[@]}" "$MANIFEST_URL" | sha256sum | cut -d' ' -f1)
  printf '%s' "$digest"
}

unpinned=0 missing=0 unanswered=0
for file in "${files[@]}"; do
  [ -f "$file" ] || die "no file $file"
  # `image: NAME:TAG` or `image: NAME:TAG@sha256:HEX`, not the ones named by a variable.
  while IFS= read -r reference; do
    name_tag=${reference%@*}
    pin=""
    [ "$name_tag" = "$reference" ] || pin=${reference#*@}
    case "$mode" in
      list)
        printf '%-60s %s\n' "$name_tag" "${pin:-unpinned}"
        ;;
      check)
        there=yes
        now=$(registry_digest "$name_tag") || case $? in
          1) now="(tag not found)" ;;
          *) now="" there=unknown ;;
        esac
        if [ -n "$pin" ] && [ "$there" = yes ]; then
          registry_digest "$name_tag@$pin" > /dev/null || case $? in
            1) there=no ;;
            *) there=unknown ;;
          esac
        fi
        if [ "$there" = unknown ]; then
          printf '%-60s %s (the registry did not answer)\n' "$name_tag" "${pin:-unpinned}"
          unanswered=$((unanswered + 1))
        elif [ "$there" = no ]; then
          printf '%-60s %s NOT IN THE REGISTRY\n' "$name_tag" "$pin"
          missing=$((missing + 1))
        elif [ -z "$pin" ]; then
          printf '%-60s unpinned (the tag is %s now)\n' "$name_tag" "$now"
        elif [ "$pin" = "$now" ]; then
          printf '%-60s %s (the tag'"'"'s digest now)\n' "$name_tag" "$pin"
        else
          printf '%-60s %s (the tag moved to %s: --update to follow it)\n' "$name_tag" "$pin" "$now"
        fi
        ;;
      update)
        now=$(registry_digest "$name_tag") || die "$name_tag: the registry does not answer or has no such tag"
        if [ "$pin" != "$now" ]; then
          sed -i "s#image: $reference\$#image: $name_tag@$now#" "$file"
          log "$name_tag: ${pin:-unpinned} -> $now"
        fi
        pin=$now
        ;;
    esac
    [ -n "$pin" ] || unpinned=$((unpinned + 1))
  done < <(sed -nE 's/^[[:space:]]*image:[[:space:]]*([^$[:space:]#]+)[[:space:]]*$/\1/p' "$file" | sort -u)
done
[ "$unpinned" = 0 ] || log "$unpinned image(s) not pinned by digest: scripts/deploy/pin-images.sh --update"
[ "$missing" = 0 ] || log "$missing pinned digest(s) not in the registry"
[ "$unanswered" = 0 ] || log "$unanswered image(s) whose registry did not answer"
[ "$unpinned" = 0 ] && [ "$missing" = 0 ] && [ "$unanswered" = 0 ]
