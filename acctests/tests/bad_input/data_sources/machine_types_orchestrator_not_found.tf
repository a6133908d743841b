# orchestrator_id names an existing deployment
# stage: plan
# path: orchestrator_id
# expect: (No|no) DR (orchestrator|deployment) has the id "@ORCHESTRATOR_ID@"

data "dr_machine_types" "d" {
  orchestrator_id        = "@ORCHESTRATOR_ID@"
  primary_workspace_name = "slz-dal10-power-workspace"
}
