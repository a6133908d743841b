# names are letters, digits, - and _
# stage: validate
# path: name
# expect: name: "dr prod!" must be 1 to \d+ letters, digits, '-' or '_'

resource "dr_orchestrator" "o" {
  name                             = "dr prod!"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
