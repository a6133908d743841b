# Provider functions need the provider in required_providers (Terraform 1.8 and later).
terraform {
  required_providers {
    dr = {
      source = "powervs/dr"
    }
  }
}

locals {
  powervs_cidrs = ["10.51.0.0/24", "10.52.0.0/24"]
  vpc_cidrs     = ["10.30.10.0/24", "10.30.20.0/24"]
}

# Warns at plan time when a PowerVS subnet collides with a VPC subnet behind the same
# Transit Gateway.
check "no_overlapping_subnets" {
  assert {
    condition     = length(provider::dr::cidr_overlaps(concat(local.powervs_cidrs, local.vpc_cidrs))) == 0
    error_message = "A PowerVS subnet overlaps a VPC subnet; routing across the Transit Gateway would break."
  }
}

# [{ a = "10.51.0.0/24", b = "10.51.0.128/25" }]
output "overlapping_pairs" {
  value = provider::dr::cidr_overlaps(["10.51.0.0/24", "10.51.0.128/25", "10.30.10.0/24"])
}
