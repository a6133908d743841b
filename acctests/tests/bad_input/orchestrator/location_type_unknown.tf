# IBM's two orchestrator location types
# stage: validate
# path: orchestrator_location_type
# expect: orchestrator_location_type value must be one of: \["off-premises", "on-premises"\], got: "on-prem"

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
  orchestrator_location_type       = "on-prem"
}
