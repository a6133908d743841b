# machine types DR knows
# stage: validate
# path: machine_type
# expect: machine_type: "z16" is not a Power machine type DR Automation supports\. Use one of: s922

resource "dr_ha_standby" "s" {
  orchestrator_id                  = "@ORCHESTRATOR_ID@"
  workspace_id                     = "@SECONDARY_WS@"
  transit_gateway_id               = "@TG@"
  machine_type                     = "z16"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
