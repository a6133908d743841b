# Protects PowerVS VMs with an orchestrator; high-priority VMs are recovered first.
# orchestrator_id is the id of a dr_orchestrator (dr_orchestrator.example.id).
locals {
  protected_vms = {
    "ibmi-db-01"  = { pvm_instance_id = "ac2cc667-9ba3-463f-b4ce-4b8c7553369d", priority = "high" }
    "aix-app-01"  = { pvm_instance_id = "10e2c468-65e9-4746-8fb8-1a18c8a50516", priority = "medium" }
    "rhel-web-01" = { pvm_instance_id = "7ef1fd0e-d154-4fcd-8cee-9f276708ddd3", priority = "low" }
  }
}

resource "dr_managed_vm" "example" {
  for_each = local.protected_vms

  orchestrator_id = "0c5e9f54-7d3a-4f0b-9a8e-3c1b2d4e5f60"
  pvm_instance_id = each.value.pvm_instance_id
  priority        = each.value.priority
  workgroup_name  = "sap-prod"
}

output "recovery_minutes" {
  value = { for name, vm in dr_managed_vm.example : name => vm.dr_average_time_minutes }
}
