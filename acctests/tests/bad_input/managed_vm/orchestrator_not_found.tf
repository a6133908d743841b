# orchestrator_id names an existing deployment
# stage: plan
# path: orchestrator_id
# expect: Orchestrator not found.*"@ORCHESTRATOR_ID@"

resource "dr_managed_vm" "m" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  pvm_instance_id = "@AIX_VM@"
}
