variable "orchestrator_password" {
  description = "Password of the orchestrator UI user (the primary's)."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# An HA standby orchestrator in the secondary workspace, attached to the Transit Gateway that
# reaches the VPC. orchestrator_id is the id of a dr_orchestrator (dr_orchestrator.example.id).
resource "dr_ha_standby" "example" {
  orchestrator_id    = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  workspace_id       = "d31dadbd-a438-4b33-b903-56349ba3e995"
  transit_gateway_id = "f55540b2-bff0-4252-beee-7f3700d5af86"
  machine_type       = "s922"
  tier               = "tier1"
  network_ids        = ["497305c5-d1aa-499f-8d81-8a20971b59b5"]
  ssh_key_name       = "slz-ssh-key"

  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = 1

  timeouts {
    create = "90m"
  }
}

output "standby_status" {
  value = dr_ha_standby.example.status
}
