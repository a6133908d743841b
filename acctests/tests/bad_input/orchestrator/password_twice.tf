# exactly one password argument
# stage: validate
# path: orchestrator_password_wo
# expect: orchestrator_password and orchestrator_password_wo are both set; set exactly one

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password            = "Orch-Passw0rd!"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
