# The configuration that used to manage the DR deployment with IBM's provider, after the move:
# the IBM resources are forgotten (removed blocks) and the same objects are imported into the
# dr provider (import blocks), in one plan that creates and destroys nothing.
terraform {
  # Write-only secrets need 1.11; removed blocks 1.7; import blocks with expressions 1.6.
  required_version = ">= 1.11"

  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "~> 0.1"
    }
  }
}

provider "dr" {
  region = var.region
  zone   = var.zone

  # dr_ha_standby and dr_managed_vm reach the orchestrator over SSH, through the jump server.
  orchestrator_ssh {
    private_key              = var.ssh_private_key
    known_hosts_file         = "known_hosts"
    strict_host_key_checking = "accept-new"

    jump_host {
      address = var.access_host_or_ip
    }
  }
}
