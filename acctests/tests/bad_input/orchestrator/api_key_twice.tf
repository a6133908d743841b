# exactly one API key argument
# stage: validate
# path: api_key_wo
# expect: api_key and api_key_wo are both set; set exactly one

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
  api_key                          = "key-one"
  api_key_wo                       = "key-two"
  api_key_wo_version               = 1
}
