#!/usr/bin/env bash
# Usage: ADMIN_CIDRS="203.0.113.4/32 ..." SWARM_CIDR=10.110.0.0/20 firewall.sh
#
# The host firewall of a MiniTwit node (ufw), behind the provider's firewall (Terraform's) or alone (one
# droplet with Vagrant): SSH only from ADMIN_CIDRS (and from SWARM_CIDR: workers fetch their join token
# from the manager over SSH); HTTP (80) and HTTPS (443), the stack's edge (Caddy), from anywhere; the swarm's
# ports (2377/tcp, 7946/tcp+udp, 4789/udp, and ESP for the stack's encrypted overlay networks) only from
# SWARM_CIDR, the nodes' private network.
# Ports that Docker publishes bypass ufw's rules (Docker writes its own iptables rules), so Grafana
# (3000) and Kibana (5601) are limited to ADMIN_CIDRS in Docker's DOCKER-USER chain, by a systemd unit
# that re-applies them whenever Docker starts. Both also ask for their own login.
set -euo pipefail
case "${1:-}" in -h | --help) sed -n '2,/^[^#]/{/^#/!q;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
: "${ADMIN_CIDRS:?set ADMIN_CIDRS: the addresses allowed to SSH, Grafana and Kibana}"
: "${SWARM_CIDR:?set SWARM_CIDR: the private network of the nodes}"
export DEBIAN_FRONTEND=noninteractive
command -v ufw > /dev/null || { apt-get update -qq && apt-get install -y -qq ufw > /dev/null; }

ufw --force reset > /dev/null
ufw default deny incoming > /dev/null
ufw default allow outgoing > /dev/null
for cidr in $ADMIN_CIDRS $SWARM_CIDR; do ufw allow proto tcp from "$cidr" to any port 22 > /dev/null; done
ufw allow 80/tcp > /dev/null
ufw allow 443/tcp > /dev/null
ufw allow proto tcp from "$SWARM_CIDR" to any port 2377 > /dev/null
ufw allow proto tcp from "$SWARM_CIDR" to any port 7946 > /dev/null
ufw allow proto udp from "$SWARM_CIDR" to any port 7946 > /dev/null
ufw allow proto udp from "$SWARM_CIDR" to any port 4789 > /dev/null
# The `database` and `logging` overlays are encrypted (deploy/swarm/stack.yml): VXLAN inside IPsec ESP.
ufw allow proto esp from "$SWARM_CIDR" > /dev/null
ufw --force enable > /dev/null

# Published admin ports: only from ADMIN_CIDRS (conntrack's original port: the routing mesh rewrites it).
rules=/usr/local/sbin/minitwit-docker-user-rules
{
  echo '#!/bin/sh'
  echo 'iptables -N DOCKER-USER 2> /dev/null || true'
  echo 'iptables -F DOCKER-USER'
  for port in 3000 5601; do
    for cidr in $ADMIN_CIDRS; do
      echo "iptables -A DOCKER-USER -p tcp -s $cidr -m conntrack --ctorigdstport $port --ctdir ORIGINAL -j RETURN"
    done
    echo "iptables -A DOCKER-USER -p tcp -m conntrack --ctorigdstport $port --ctdir ORIGINAL -j DROP"
  done
  echo 'iptables -A DOCKER-USER -j RETURN'
} > "$rules"
chmod 0755 "$rules"
cat > /etc/systemd/system/minitwit-docker-user.service <<UNIT
[Unit]
Description=MiniTwit: Grafana and Kibana only from the admin networks (DOCKER-USER chain)
After=docker.service
PartOf=docker.service

[Service]
Type=oneshot
ExecStart=$rules

[Install]
WantedBy=docker.service
UNIT
systemctl daemon-reload
systemctl enable --now minitwit-docker-user.service > /dev/null
echo "firewall: ufw on; 80 and 443 open; SSH, 3000 and 5601 from $ADMIN_CIDRS; swarm ports from $SWARM_CIDR"
