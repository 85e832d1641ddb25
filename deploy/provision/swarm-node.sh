#!/usr/bin/env bash
# Usage: swarm-node.sh manager|worker|database
#
# Makes this machine a node of the MiniTwit swarm (after install-docker.sh and firewall.sh). Settings
# come from the environment, or from /etc/minitwit/node.env (Terraform's cloud-init writes it):
#   SWARM_ADVERTISE_ADDR  this node's private address (default: the first address of eth1, DigitalOcean's VPC)
#   SWARM_MANAGER_ADDR    the manager's private address (worker, database)
#   SWARM_JOIN_KEY        a private key file that the manager accepts for user swarm-join (worker, database)
#   SWARM_JOIN_PUBKEY     its public key (manager)
#   DATABASE_NODE_NAME    the database node's host name, which the manager labels minitwit.database=true
#                         (the manager's own name: one machine for everything, as with Vagrant)
#   DATABASE_VOLUME       the block device of the database's volume, mounted at /mnt/minitwit_db (none:
#                         the data directory is on the machine's own disk)
# manager: `docker swarm init`, a swarm-join user whose only command prints the worker join token, and a
# background wait that labels the database node when it joins. worker and database: fetch the token over
# SSH from the manager (retrying while the manager boots) and join. Safe to run again.
set -euo pipefail
case "${1:-}" in -h | --help | "") sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
role=$1
# shellcheck source=/dev/null
[ -f /etc/minitwit/node.env ] && . /etc/minitwit/node.env
advertise=${SWARM_ADVERTISE_ADDR:-$(ip -4 -o addr show dev eth1 2> /dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')}
[ -n "$advertise" ] || { echo "swarm-node: set SWARM_ADVERTISE_ADDR (no eth1 address)" >&2; exit 1; }

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}}'; }

# PostgreSQL's data directory, /mnt/minitwit_db/postgres: on the database volume when there is one
# (waiting for it to be attached), else on this machine's disk (one droplet, no volume).
prepare_database_dir() {
  local device=${DATABASE_VOLUME:-}
  mkdir -p /mnt/minitwit_db
  if [ -n "$device" ]; then
    for _ in $(seq 60); do [ -e "$device" ] && break; sleep 5; done
    [ -e "$device" ] || { echo "swarm-node: no volume at $device" >&2; exit 1; }
    blkid "$device" > /dev/null || mkfs.ext4 -q "$device"
    grep -q ' /mnt/minitwit_db ' /etc/fstab \
      || echo "$device /mnt/minitwit_db ext4 defaults,nofail,discard,noatime 0 2" >> /etc/fstab
    mountpoint -q /mnt/minitwit_db || mount /mnt/minitwit_db
  fi
  # The postgres image's user (uid 999) owns the data directory.
  install -d -m 0700 -o 999 -g 999 /mnt/minitwit_db/postgres
}

case "$role" in
  manager)
    : "${SWARM_JOIN_PUBKEY:?set SWARM_JOIN_PUBKEY}"
    [ "$(swarm_state)" = active ] || docker swarm init --advertise-addr "$advertise" > /dev/null
    # Workers ask for the join token over SSH; this key can do nothing else.
    id swarm-join > /dev/null 2>&1 || useradd --create-home --shell /bin/sh --groups docker swarm-join
    install -d -m 0700 -o swarm-join -g swarm-join /home/swarm-join/.ssh
    printf 'restrict,command="docker swarm join-token --quiet worker" %s\n' "$SWARM_JOIN_PUBKEY" \
      > /home/swarm-join/.ssh/authorized_keys
    chown swarm-join:swarm-join /home/swarm-join/.ssh/authorized_keys
    chmod 0600 /home/swarm-join/.ssh/authorized_keys
    if [ "${DATABASE_NODE_NAME:-}" = "$(hostname)" ]; then
      prepare_database_dir
      docker node update --label-add minitwit.database=true "$(hostname)" > /dev/null
    elif [ -n "${DATABASE_NODE_NAME:-}" ]; then
      # In the background, for up to an hour: the database node joins after this script has ended.
      nohup sh -c "for i in \$(seq 720); do
          docker node update --label-add minitwit.database=true '$DATABASE_NODE_NAME' > /dev/null 2>&1 && exit 0
          sleep 5
        done" > /var/log/minitwit-label-database.log 2>&1 &
    fi
    echo "swarm-node: manager at $advertise; nodes: $(docker node ls --format '{{.Hostname}}' | tr '\n' ' ')"
    ;;
  worker | database)
    : "${SWARM_MANAGER_ADDR:?set SWARM_MANAGER_ADDR}"
    : "${SWARM_JOIN_KEY:?set SWARM_JOIN_KEY}"
    [ "$role" != database ] || prepare_database_dir
    if [ "$(swarm_state)" != active ]; then
      token=""
      for _ in $(seq 120); do
        token=$(ssh -i "$SWARM_JOIN_KEY" -o StrictHostKeyChecking=accept-new -o ConnectTimeout=5 -o BatchMode=yes \
          "swarm-join@$SWARM_MANAGER_ADDR" 2> /dev/null || true)
        [ -n "$token" ] && break
        sleep 5
      done
      [ -n "$token" ] || { echo "swarm-node: no join token from $SWARM_MANAGER_ADDR" >&2; exit 1; }
      docker swarm join --advertise-addr "$advertise" --token "$token" "$SWARM_MANAGER_ADDR:2377"
    fi
    echo "swarm-node: $role $(hostname) in the swarm of $SWARM_MANAGER_ADDR"
    ;;
  *) echo "swarm-node: role must be manager, worker or database" >&2; exit 2 ;;
esac
