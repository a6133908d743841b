# 1 to 10 networks
# stage: validate
# path: network_ids
# expect: the orchestrator takes 1 to 10 private networks, got 11

resource "dr_ha_standby" "s" {
  orchestrator_id                  = "@ORCHESTRATOR_ID@"
  workspace_id                     = "@SECONDARY_WS@"
  transit_gateway_id               = "@TG@"
  machine_type                     = "s922"
  network_ids                      = ["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10"]
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
