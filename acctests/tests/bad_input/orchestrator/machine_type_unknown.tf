# machine types DR knows
# stage: validate
# path: machine_type
# expect: machine_type: "p99" is not a Power machine type DR Automation supports\. Use one of: s922, e880, e980

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "p99"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
