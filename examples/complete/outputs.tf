output "dashboard_url" {
  description = "URL of the orchestrator UI."
  value       = dr_orchestrator.this.dashboard_url
}

output "orchestrator_id" {
  description = "GUID of the DR Automation service instance (the import id of dr_orchestrator)."
  value       = dr_orchestrator.this.id
}

output "managed_vm_count" {
  description = "Number of VMs under DR management, as DR Automation reports it."
  value       = data.dr_summary.this.managed_vm_count
}

output "standby_status" {
  description = "Status of the HA standby orchestrator."
  value       = dr_ha_standby.this.status
}

output "protected_vms" {
  description = "Protected VMs with their recovery priority and estimated recovery time."
  value = {
    for name, vm in dr_managed_vm.this : name => {
      vm_name          = vm.vm_name
      priority         = vm.priority
      recovery_minutes = vm.dr_average_time_minutes
    }
  }
}

output "security_group_rules" {
  description = "Rules added to the VPC security group, by PowerVS CIDR."
  value       = { for cidr, rule in dr_security_group_rule.powervs_inbound : cidr => rule.rule_id }
}
