# 1 to 10 networks
# stage: validate
# path: network_ids
# expect: the orchestrator takes 1 to 10 private networks, got 0

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  network_ids                      = []
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
