# an empty VM id is refused offline
# stage: validate
# path: pvm_instance_id
# expect: pvm_instance_id.*"".*a PowerVS instance id \(a UUID\)

resource "dr_managed_vm" "m" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  pvm_instance_id = ""
}
