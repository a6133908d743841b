# Machine types DR Automation can deploy orchestrators on, per workspace.
data "dr_machine_types" "available" {
  orchestrator_id        = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  primary_workspace_name = "slz-dal10-power-workspace"
  standby_workspace_name = "slz-dal12-power-workspace"
}

output "machine_types" {
  value = {
    primary = data.dr_machine_types.available.machine_types
    standby = data.dr_machine_types.available.standby_machine_types
  }
}
