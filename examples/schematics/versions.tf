# An IBM Schematics template: Schematics runs Terraform on this directory. The dr provider
# travels inside it, in terraform.d/plugins/ (see README.md), where Terraform looks for providers
# before any registry.
terraform {
  # Write-only arguments need Terraform 1.11; choose terraform_v1.12 or later for the workspace.
  required_version = ">= 1.11"

  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "0.1.0"
    }
  }
}

# No credentials here: Schematics hands the workspace owner's IAM token to the providers
# (IC_IAM_TOKEN, IC_IAM_REFRESH_TOKEN), and the provider reads them as IBM's does.
provider "dr" {
  region = var.region
  zone   = var.zone

  # Schematics runs in IBM Cloud's public network: the orchestrator's private subnets are
  # reached through the landing zone's jump server.
  orchestrator_ssh {
    private_key              = var.ssh_private_key
    known_hosts_file         = "known_hosts"
    strict_host_key_checking = "accept-new"

    jump_host {
      address   = var.access_host_or_ip
      host_keys = var.jump_host_keys
    }
  }
}
