terraform {
  # Write-only arguments need 1.11; IBM Schematics offers 1.12 and later.
  required_version = ">= 1.11"

  required_providers {
    dr = {
      source  = "powervs/dr"
      version = "~> 0.1"
    }
  }
}

# Credentials: var.ibmcloud_api_key, else IC_API_KEY / IBMCLOUD_API_KEY, else (Schematics)
# IC_IAM_TOKEN. Endpoints: IC_ENDPOINTS_FILE_PATH or the IBMCLOUD_*_API_ENDPOINT variables.
provider "dr" {
  ibmcloud_api_key = var.ibmcloud_api_key
  region           = var.region
  zone             = var.powervs_zone

  # Managing VMs, DR tests and failovers run ksysmgr on the orchestrator over SSH. Its host key
  # is unknown before it is deployed, so it is trusted on first use and pinned in the
  # known_hosts file from then on.
  orchestrator_ssh {
    private_key              = var.ssh_private_key
    password                 = var.orchestrator_password
    known_hosts_file         = var.orchestrator_known_hosts_file
    strict_host_key_checking = "accept-new"

    dynamic "jump_host" {
      for_each = var.access_host_or_ip == null ? [] : [var.access_host_or_ip]
      content {
        address     = jump_host.value
        user        = var.jump_host_user
        private_key = var.ssh_private_key
        host_keys   = var.jump_host_keys
      }
    }
  }
}
