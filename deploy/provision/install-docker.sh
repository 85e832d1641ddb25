#!/usr/bin/env bash
# Usage: install-docker.sh
#
# Installs Docker Engine (Docker's apt repository) on an Ubuntu or Debian machine, with the settings a
# MiniTwit swarm node needs: json-file logs rotated (Filebeat reads them), vm.max_map_count for
# Elasticsearch. Safe to run again. Used by the Vagrantfile and Terraform's cloud-init.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
export DEBIAN_FRONTEND=noninteractive

if ! command -v docker > /dev/null; then
  # shellcheck source=/dev/null
  . /etc/os-release
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg > /dev/null
  install -m 0755 -d /etc/apt/keyrings
  curl -fsSL "https://download.docker.com/linux/$ID/gpg" -o /etc/apt/keyrings/docker.asc
  chmod a+r /etc/apt/keyrings/docker.asc
  echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/$ID $VERSION_CODENAME stable" \
    > /etc/apt/sources.list.d/docker.list
  apt-get update -qq
  apt-get install -y -qq docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin > /dev/null
fi

mkdir -p /etc/docker
if [ ! -f /etc/docker/daemon.json ]; then
  cat > /etc/docker/daemon.json <<'JSON'
{
  "log-driver": "json-file",
  "log-opts": { "max-size": "20m", "max-file": "5" }
}
JSON
  systemctl restart docker
fi
systemctl enable --now docker > /dev/null

echo 'vm.max_map_count=262144' > /etc/sysctl.d/60-elasticsearch.conf
sysctl -q --system
docker version --format 'docker {{.Server.Version}} ready'
