# passwords are printable ASCII without spaces
# stage: validate
# path: orchestrator_password_wo
# expect: the password must be 1 to 256 printable ASCII characters without spaces \(got 9 characters\)

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch Pass"
  orchestrator_password_wo_version = 1
}
