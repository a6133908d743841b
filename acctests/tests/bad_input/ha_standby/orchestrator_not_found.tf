# orchestrator_id names an existing deployment
# stage: plan
# path: orchestrator_id
# expect: orchestrator_id: no DR deployment has the id "@ORCHESTRATOR_ID@"; use the id of a dr_orchestrator

resource "dr_ha_standby" "s" {
  orchestrator_id                  = "@ORCHESTRATOR_ID@"
  workspace_id                     = "@SECONDARY_WS@"
  transit_gateway_id               = "@TG@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
