# The DR orchestrator in the primary workspace and the VMs it protects.

resource "dr_orchestrator" "this" {
  name              = var.prefix
  orchestrator_user = "dradmin"
  workspace_id      = var.powervs_workspace_guid
  machine_type      = "s922"
  tier              = "tier1"
  network_ids       = [var.powervs_management_subnet_id]
  ssh_key_name      = var.powervs_ssh_key_name

  orchestrator_password_wo         = var.orchestrator_password
  orchestrator_password_wo_version = var.orchestrator_password_version
}

resource "dr_managed_vm" "this" {
  for_each = var.protected_vms

  orchestrator_id     = dr_orchestrator.this.id
  pvm_instance_id     = each.value.pvm_instance_id
  priority            = each.value.priority
  backup_workspace_id = var.backup_workspace_guid
}

output "dashboard_url" {
  value = dr_orchestrator.this.dashboard_url
}
