# a password is required
# stage: validate
# path: block
# expect: Missing orchestrator password
# expect: set orchestrator_password_wo \(write-only, Terraform 1\.11 and later\) or orchestrator_password

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
}
