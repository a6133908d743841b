# priority is high, medium or low
# stage: validate
# path: priority
# expect: priority value must be one of: \["high", "medium", "low"\], got: "critical"

data "dr_managed_vms" "d" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
  priority        = "critical"
}
