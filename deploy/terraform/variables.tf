variable "name" {
  description = "Prefix of every resource's name."
  type        = string
  default     = "minitwit"
}

variable "region" {
  description = "DigitalOcean region (doctl compute region list)."
  type        = string
  default     = "fra1"
}

variable "image" {
  description = "Droplet image: an Ubuntu LTS that Docker's apt repository serves."
  type        = string
  default     = "ubuntu-24-04-x64"
}

variable "manager_size" {
  description = "The manager's size: it also runs Prometheus, Grafana, Elasticsearch and Kibana."
  type        = string
  default     = "s-2vcpu-4gb"
}

variable "worker_size" {
  description = "Each worker's size."
  type        = string
  default     = "s-1vcpu-2gb"
}

variable "worker_count" {
  description = "Workers besides the manager and the database node (replicas of web and api spread over all nodes)."
  type        = number
  default     = 1
  validation {
    condition     = var.worker_count >= 0 && var.worker_count <= 10
    error_message = "worker_count must be between 0 and 10."
  }
}

variable "database_size" {
  description = "The database node's size."
  type        = string
  default     = "s-2vcpu-4gb"
}

variable "database_volume_gb" {
  description = "Size of the block storage volume holding PostgreSQL's data (it outlives the droplet)."
  type        = number
  default     = 20
}

variable "ssh_key_fingerprints" {
  description = "Fingerprints of SSH keys already in the DigitalOcean account, for root on every droplet."
  type        = list(string)
}

variable "admin_cidrs" {
  description = "Addresses allowed to SSH and to reach Grafana (3000) and Kibana (5601), e.g. [\"203.0.113.4/32\"]."
  type        = list(string)
  validation {
    condition     = length(var.admin_cidrs) > 0 && !contains(var.admin_cidrs, "0.0.0.0/0")
    error_message = "admin_cidrs must name the operators' addresses, not the whole internet."
  }
}

variable "vpc_ip_range" {
  description = "The private network of the nodes (swarm traffic stays inside it)."
  type        = string
  default     = "10.110.0.0/20"
}
