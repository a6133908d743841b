variable "orchestrator_password" {
  description = "Password of the orchestrator UI user."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The DR deployment in the primary workspace (the landing zone's powervs_workspace_guid).
resource "dr_orchestrator" "example" {
  name              = "sap-dr"
  orchestrator_user = "dradmin"
  workspace_id      = "71bb54d8-d101-45b9-8fee-1792f2a41d60"
  machine_type      = "s922"
  tier              = "tier1"
  network_ids       = ["dd90e10f-6f7c-4c8a-95b8-2af6a9b8b0d2"]
  ssh_key_name      = "slz-ssh-key"

  # Write-only (Terraform 1.11 and later): never stored in plan or state. Bump the version to
  # deploy with a new password. On older Terraform use orchestrator_password instead.
  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = 1

  timeouts {
    create = "90m"
    delete = "60m"
  }
}

output "dashboard_url" {
  value = dr_orchestrator.example.dashboard_url
}
