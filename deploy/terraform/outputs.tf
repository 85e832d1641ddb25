output "public_ip" {
  description = "The reserved IP (the manager): point the web and API names' DNS at it; Grafana :3000, Kibana :5601."
  value       = digitalocean_reserved_ip.public.ip_address
}

output "manager_ip" {
  description = "The manager's own public address (SSH, docker over SSH)."
  value       = digitalocean_droplet.manager.ipv4_address
}

output "worker_ips" {
  value = digitalocean_droplet.worker[*].ipv4_address
}

output "database_ip" {
  value = digitalocean_droplet.database.ipv4_address
}

output "manager_known_hosts" {
  description = "The manager's known_hosts line (its host key, made by Terraform): CircleCI's SWARM_KNOWN_HOSTS."
  value       = "${digitalocean_droplet.manager.ipv4_address} ${trimspace(tls_private_key.manager_host.public_key_openssh)}"
}

output "docker_host" {
  description = "For the docker CLI and scripts/deploy/*.sh: export DOCKER_HOST=<this>."
  value       = "ssh://root@${digitalocean_droplet.manager.ipv4_address}"
}
