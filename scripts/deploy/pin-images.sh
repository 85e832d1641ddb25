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
# The registry is asked with `docker buildx imagetools inspect --raw`, which needs no engine, only the
# registry (and `docker login` for a private one): the digest is the sha256 of the manifest (the
# multi-platform index) it returns. Exits 1 when an image is unpinned after the run (and --check).
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

# The digest the registry gives NAME:TAG (or NAME@sha256:... : then whether it exists) now.
registry_digest() {
  local manifest
  manifest=$(docker buildx imagetools inspect --raw "$1" 2> /dev/null) || return 1
  printf 'sha256:%s' "$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1)"
}

unpinned=0 missing=0
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
        now=$(registry_digest "$name_tag") || now="(tag not found)"
        if [ -n "$pin" ] && ! registry_digest "$name_tag@$pin" > /dev/null; then
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
[ "$unpinned" = 0 ] && [ "$missing" = 0 ]
