output "dashboard_url" {
  description = "URL of the orchestrator UI."
  value       = terraform_data.orchestrator.output.dashboard_url
}

output "orchestrator_id" {
  description = "Id of the orchestrator."
  value       = terraform_data.orchestrator.id
}

output "managed_vm_count" {
  description = "Number of VMs under DR management."
  value       = terraform_data.summary.output.managed_vm_count
}

output "standby_status" {
  description = "Status of the HA standby orchestrator."
  value       = terraform_data.standby.output.status
}

output "protected_vms" {
  description = "Protected VMs with their recovery priority and estimated recovery time."
  value = {
    for name, vm in terraform_data.managed_vm : name => {
      vm_name          = vm.output.vm_name
      priority         = vm.output.priority
      recovery_minutes = vm.output.dr_average_time_minutes
    }
  }
}

output "security_group_rules" {
  description = "Rules added to the VPC security group, by PowerVS CIDR."
  value       = { for cidr, rule in terraform_data.security_group_rule : cidr => rule.output.rule_id }
}

output "ibmcloud_api_key_set" {
  description = "Keeps the provider-only variables referenced, as examples/complete's provider block does."
  value       = var.ibmcloud_api_key != null && var.region != ""
  sensitive   = true
}
