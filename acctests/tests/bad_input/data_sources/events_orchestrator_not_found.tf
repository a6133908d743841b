# orchestrator_id names an existing deployment
# stage: plan
# path: orchestrator_id
# expect: Orchestrator not found
# expect: No DR orchestrator has the id "@ORCHESTRATOR_ID@"; use the id of a dr_orchestrator

data "dr_events" "d" {
  orchestrator_id = "@ORCHESTRATOR_ID@"
}
