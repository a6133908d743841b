# networks of the workspace only; lists them
# stage: plan
# path: network_ids
# expect: network_ids\[0\]: "@SECONDARY_MGMT_NET@" is not a network of workspace slz-dal10-power-workspace .*Its private networks: @PRIMARY_MGMT_NET@ \(mgmt_net, 10\.51\.0\.0/24\)

resource "dr_orchestrator" "o" {
  name                             = "drbad"
  orchestrator_user                = "admin"
  workspace_id                     = "@PRIMARY_WS@"
  machine_type                     = "s922"
  network_ids                      = ["@SECONDARY_MGMT_NET@"]
  orchestrator_password_wo         = "Orch-Passw0rd!"
  orchestrator_password_wo_version = 1
}
