terraform {
  required_version = ">= 1.5"
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.55"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.0"
    }
  }
}

# The API token comes from the environment (DIGITALOCEAN_TOKEN), never from a file in the repository.
provider "digitalocean" {}
