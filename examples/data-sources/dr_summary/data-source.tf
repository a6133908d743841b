# DR Automation's summary of a deployment: orchestrators, standby and managed VMs.
data "dr_summary" "this" {
  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
}

output "dr_health" {
  value = {
    orchestrator     = data.dr_summary.this.orchestrator_status
    standby          = data.dr_summary.this.standby_status
    managed_vm_count = data.dr_summary.this.managed_vm_count
  }
}
