# The VMs an orchestrator recovers first.
data "dr_managed_vms" "high" {
  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  priority        = "high"
}

output "recovered_first" {
  value = [for vm in data.dr_managed_vms.high.managed_vms : "${vm.vm_name} (${vm.dr_average_time_minutes} min)"]
}
