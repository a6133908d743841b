# cores at least 0.5 in steps of 0.25
# stage: validate
# path: cores
# expect: cores: 0\.3 cores is not a PowerVS shared-processor size; use at least 0\.5, in steps of 0\.25

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  cores                            = 0.3
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
