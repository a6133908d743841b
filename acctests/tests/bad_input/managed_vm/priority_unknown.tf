# priority is high, medium or low
# stage: validate
# path: priority
# expect: priority value must be one of: \["high", "medium", "low"\], got: "urgent"

resource "dr_managed_vm" "m" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  pvm_instance_id = "@AIX_VM@"
  priority        = "urgent"
}
