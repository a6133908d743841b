# the version goes with the write-only password
# stage: validate
# path: orchestrator_password_wo_version
# expect: orchestrator_password_wo_version only tells Terraform that orchestrator_password_wo changed; set orchestrator_password_wo too

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password            = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
