# A MiniTwit swarm on DigitalOcean: one manager (with a reserved IP: the address users and the simulator
# use), N workers, one database node with a block storage volume, all in one VPC, behind one firewall.
# cloud-init bootstraps everything: Docker, the host firewall, swarm init on the manager, join on the
# others (deploy/provision/). Then deploy the stack from a laptop or CI: see deploy/swarm/README.md.

locals {
  tag = digitalocean_tag.swarm.name
  provision_files = {
    for f in ["install-docker.sh", "firewall.sh", "swarm-node.sh"] :
    f => file("${path.module}/../provision/${f}")
  }
  common = {
    admin_cidrs      = join(" ", var.admin_cidrs)
    swarm_cidr       = var.vpc_ip_range
    provision_files  = local.provision_files
    database_node    = "${var.name}-db"
    database_volume  = "/dev/disk/by-id/scsi-0DO_Volume_${var.name}-db"
    join_public_key  = trimspace(tls_private_key.swarm_join.public_key_openssh)
    join_private_key = tls_private_key.swarm_join.private_key_openssh
  }
}

# Every droplet carries this tag, and the firewall selects droplets by it: it must exist before both.
resource "digitalocean_tag" "swarm" {
  name = var.name
}

# One tag per role, so that `doctl compute droplet list --tag-name minitwit-database` and the like work.
resource "digitalocean_tag" "role" {
  for_each = toset(["manager", "worker", "database"])
  name     = "${var.name}-${each.key}"
}

resource "digitalocean_vpc" "swarm" {
  name     = "${var.name}-vpc"
  region   = var.region
  ip_range = var.vpc_ip_range
}

# The manager's SSH host key, made here so that its public half is known before the droplet boots: the
# output manager_known_hosts is what CircleCI's release (and an operator's laptop) put in known_hosts, with
# no first connection to trust blindly. Like the join key, it lives in Terraform's state.
resource "tls_private_key" "manager_host" {
  algorithm = "ED25519"
}

# Workers prove they may join by this key: the manager accepts it for one command only, which prints the
# worker join token. It lives in Terraform's state: keep the state private.
resource "tls_private_key" "swarm_join" {
  algorithm = "ED25519"
}

resource "digitalocean_droplet" "manager" {
  name     = "${var.name}-manager"
  region   = var.region
  size     = var.manager_size
  image    = var.image
  vpc_uuid = digitalocean_vpc.swarm.id
  ssh_keys = var.ssh_key_fingerprints
  tags     = [local.tag, digitalocean_tag.role["manager"].name]
  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", merge(local.common, {
    role             = "manager"
    manager_addr     = ""
    host_key_private = tls_private_key.manager_host.private_key_openssh
    host_key_public  = trimspace(tls_private_key.manager_host.public_key_openssh)
  }))
  monitoring = true
  # user_data is read at first boot only, and holds admin_cidrs and deploy/provision/ (see README.md,
  # "Changing a droplet's cloud-init"): without this, a changed admin address or script would replace
  # the droplet, and with the manager the swarm, its secrets and its Raft log.
  lifecycle {
    ignore_changes = [user_data]
  }
}

resource "digitalocean_droplet" "worker" {
  count    = var.worker_count
  name     = "${var.name}-worker-${count.index + 1}"
  region   = var.region
  size     = var.worker_size
  image    = var.image
  vpc_uuid = digitalocean_vpc.swarm.id
  ssh_keys = var.ssh_key_fingerprints
  tags     = [local.tag, digitalocean_tag.role["worker"].name]
  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", merge(local.common, {
    role             = "worker"
    manager_addr     = digitalocean_droplet.manager.ipv4_address_private
    host_key_private = ""
    host_key_public  = ""
  }))
  monitoring = true
  # As the manager's: user_data is read at first boot only.
  lifecycle {
    ignore_changes = [user_data]
  }
}

resource "digitalocean_droplet" "database" {
  name     = "${var.name}-db"
  region   = var.region
  size     = var.database_size
  image    = var.image
  vpc_uuid = digitalocean_vpc.swarm.id
  ssh_keys = var.ssh_key_fingerprints
  tags     = [local.tag, digitalocean_tag.role["database"].name]
  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", merge(local.common, {
    role             = "database"
    manager_addr     = digitalocean_droplet.manager.ipv4_address_private
    host_key_private = ""
    host_key_public  = ""
  }))
  monitoring = true
  # As the manager's: user_data is read at first boot only.
  lifecycle {
    ignore_changes = [user_data]
  }
}

# PostgreSQL's data: survives the droplet (replace the node, attach the volume again).
resource "digitalocean_volume" "database" {
  name                    = "${var.name}-db"
  region                  = var.region
  size                    = var.database_volume_gb
  description             = "MiniTwit PostgreSQL data"
  initial_filesystem_type = "ext4"
  lifecycle {
    prevent_destroy = true
  }
}

resource "digitalocean_volume_attachment" "database" {
  droplet_id = digitalocean_droplet.database.id
  volume_id  = digitalocean_volume.database.id
}

# The public address: it stays when the manager is replaced (assign it to the new one).
resource "digitalocean_reserved_ip" "public" {
  region = var.region
}

resource "digitalocean_reserved_ip_assignment" "public" {
  ip_address = digitalocean_reserved_ip.public.ip_address
  droplet_id = digitalocean_droplet.manager.id
}

resource "digitalocean_firewall" "swarm" {
  name = "${var.name}-swarm"
  tags = [local.tag]

  # SSH: operators, and the nodes themselves (workers fetch their join token from the manager).
  inbound_rule {
    protocol         = "tcp"
    port_range       = "22"
    source_addresses = concat(var.admin_cidrs, [var.vpc_ip_range])
  }
  # HTTP and HTTPS, the stack's edge (Caddy: the web pages and the simulator API, by name): everyone.
  # The edge runs on the manager (its ports in host mode); the app's own ports are not published.
  inbound_rule {
    protocol         = "tcp"
    port_range       = "80"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }
  inbound_rule {
    protocol         = "tcp"
    port_range       = "443"
    source_addresses = ["0.0.0.0/0", "::/0"]
  }
  # Grafana and Kibana: operators only (both also ask for a login).
  inbound_rule {
    protocol         = "tcp"
    port_range       = "3000"
    source_addresses = var.admin_cidrs
  }
  inbound_rule {
    protocol         = "tcp"
    port_range       = "5601"
    source_addresses = var.admin_cidrs
  }
  # Swarm: management (2377), gossip (7946), overlay traffic (4789), only between the nodes.
  inbound_rule {
    protocol    = "tcp"
    port_range  = "2377"
    source_tags = [local.tag]
  }
  inbound_rule {
    protocol    = "tcp"
    port_range  = "7946"
    source_tags = [local.tag]
  }
  inbound_rule {
    protocol    = "udp"
    port_range  = "7946"
    source_tags = [local.tag]
  }
  inbound_rule {
    protocol    = "udp"
    port_range  = "4789"
    source_tags = [local.tag]
  }
  inbound_rule {
    protocol         = "icmp"
    source_addresses = concat(var.admin_cidrs, [var.vpc_ip_range])
  }

  # Out: package mirrors, the image registry, DNS, NTP.
  outbound_rule {
    protocol              = "tcp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
  outbound_rule {
    protocol              = "udp"
    port_range            = "1-65535"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
  outbound_rule {
    protocol              = "icmp"
    destination_addresses = ["0.0.0.0/0", "::/0"]
  }
}

resource "digitalocean_project" "minitwit" {
  name        = var.name
  description = "MiniTwit on Docker Swarm"
  purpose     = "Web Application"
  environment = "Production"
  resources = concat(
    [digitalocean_droplet.manager.urn, digitalocean_droplet.database.urn, digitalocean_volume.database.urn,
    digitalocean_reserved_ip.public.urn],
    digitalocean_droplet.worker[*].urn,
  )
}
