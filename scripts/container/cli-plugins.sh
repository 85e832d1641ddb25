#!/usr/bin/env bash
# Usage: scripts/container/cli-plugins.sh
#
# Docker's Compose v2 and buildx CLI plugins in ~/.docker/cli-plugins, when missing: from Debian trixie's
# packages (docker-compose 2.26, docker-buildx 0.13), fetched with apt-get from a trixie source list of
# their own (this machine's release, bookworm, has neither) and unpacked with dpkg-deb; nothing is
# installed system-wide. Prints the path of the docker-compose binary (it also runs on its own, without
# the docker CLI: `"$(scripts/container/cli-plugins.sh)" config`). Needs apt-get.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/lib.sh"
case "${1:-}" in -h | --help) usage_from_header "$0"; exit 0 ;; esac

PLUGINS="${HOME:-/root}/.docker/cli-plugins"
# Where Docker's packages put them (a machine with Docker CE has both), else ours.
installed() {
  local dir
  for dir in "$PLUGINS" /usr/local/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins; do
    [ -x "$dir/$1" ] && { printf '%s\n' "$dir/$1"; return 0; }
  done
  return 1
}
missing=()
for package in docker-compose docker-buildx; do
  installed "$package" > /dev/null || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  ensure_packages debian-archive-keyring
  apt_dir="$CACHE_DIR/apt-trixie"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$PLUGINS"
  echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' \
    > "$apt_dir/sources.list"
  apt=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/dev/null)
  log "fetching ${missing[*]} (Debian trixie)"
  apt-get "${apt[@]}" update -qq
  for package in "${missing[@]}"; do
    rm -f "$apt_dir/$package"_*.deb
    # Quiet: this script's stdout is the binary's path, which callers capture (a failed download shows at dpkg-deb).
    (cd "$apt_dir" && apt-get "${apt[@]}" download "$package" > /dev/null 2>&1)
    rm -rf "$apt_dir/x" && dpkg-deb -x "$apt_dir/$package"_*.deb "$apt_dir/x"
    install -m 0755 "$apt_dir/x/usr/libexec/docker/cli-plugins/$package" "$PLUGINS/$package"
  done
  rm -rf "$apt_dir/x"
fi
installed docker-compose
