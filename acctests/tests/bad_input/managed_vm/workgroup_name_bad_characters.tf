# workgroup names are letters, digits, - and _
# stage: validate
# path: workgroup_name
# expect: workgroup_name .*1 to 64 letters, digits

resource "dr_managed_vm" "m" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  pvm_instance_id = "@AIX_VM@"
  workgroup_name  = "not ok!"
}
