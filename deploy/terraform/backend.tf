# Terraform's state in DigitalOcean Spaces (an S3-compatible bucket), not on one operator's laptop: it
# holds the swarm join key and every droplet's cloud-init, so it is private, and the whole team plans
# against the same state. The bucket, the key and the endpoint come from backend.hcl (copy
# backend.hcl.example; the Spaces key pair from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY):
#   terraform init -backend-config=backend.hcl
# Spaces has no DynamoDB, and S3's lock file (use_lockfile) needs conditional writes that Spaces is not
# documented to support: there is no state locking, so only one `terraform apply` at a time (README.md).
terraform {
  backend "s3" {}
}
