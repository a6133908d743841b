# location_id is the workspace's zone
# stage: plan
# path: location_id
# expect: location_id: "dal12" is not the zone of workspace slz-dal10-power-workspace .* which is "dal10"

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  location_id                      = "dal12"
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
