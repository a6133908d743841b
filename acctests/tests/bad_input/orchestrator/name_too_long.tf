# names fit PowerVS's 47-character VM names
# stage: validate
# path: name
# expect: must be 1 to \d+ letters, digits, '-' or '_'.*at most 47 characters

resource "dr_orchestrator" "o" {
  name                             = "dddddddddddddddddddddddddddddddddddddddd"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
